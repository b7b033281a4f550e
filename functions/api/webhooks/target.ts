/**
 * Webhook targets are URLs chosen by whoever holds an admin key: without care, a webhook is a way to make the
 * API's own identity send requests to internal addresses (SSRF: the metadata server at 169.254.169.254, other
 * services on a private network, loopback). A target is checked when it is registered (scheme, no credentials
 * in the URL, not an IP literal of a private range, a host that resolves to public addresses only) and again
 * at every delivery, where the address actually connected to is the one checked (the socket's own DNS lookup is
 * replaced), so a name that later resolves elsewhere (DNS rebinding) is refused too. Redirects are not followed.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';
import { ApiProblem } from '../problem.js';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
  ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['2001:db8::', 32], ['100::', 64], ['2001::', 23],
] as const) blocked.addSubnet(net, prefix, 'ipv6');

/** Whether `address` is a public unicast address (not loopback, private, link-local, CGNAT, reserved...). */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !blocked.check(address, 'ipv4');
  if (family !== 6) return false;
  const lower = address.toLowerCase();
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses reach the embedded IPv4 address.
  const mapped = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return isPublicAddress(mapped[1]!);
  const mappedHex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (mappedHex) {
    const hi = parseInt(mappedHex[1]!, 16);
    const lo = parseInt(mappedHex[2]!, 16);
    return isPublicAddress(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  return !blocked.check(address, 'ipv6');
}

export interface TargetPolicy {
  /** Allow loopback and private targets (the local server in tests, when configured; never on GCP). */
  allowPrivate: boolean;
  /** Only https targets (GCP). */
  requireHttps: boolean;
}

const lookupAll = (host: string) =>
  new Promise<LookupAddress[]>((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/** Checks a target at registration; throws ApiProblem TARGET_NOT_ALLOWED with the reason. */
export async function checkTarget(raw: string, policy: TargetPolicy): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ApiProblem('TARGET_NOT_ALLOWED', 'not a URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !policy.requireHttps)) {
    throw new ApiProblem('TARGET_NOT_ALLOWED', policy.requireHttps ? 'the target must be https' : 'the target must be http or https');
  }
  if (url.username || url.password) throw new ApiProblem('TARGET_NOT_ALLOWED', 'no credentials in the URL: the signature authenticates the sender');
  if (policy.allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    if (!isPublicAddress(host)) throw new ApiProblem('TARGET_NOT_ALLOWED', 'the target is a private, loopback or link-local address');
    return url;
  }
  if (/^(localhost|metadata(\.google\.internal)?)$/i.test(host) || /\.(internal|local|localhost)$/i.test(host)) {
    throw new ApiProblem('TARGET_NOT_ALLOWED', 'the target names an internal host');
  }
  let addresses: LookupAddress[];
  try {
    addresses = await lookupAll(host);
  } catch {
    throw new ApiProblem('TARGET_NOT_ALLOWED', 'the target host does not resolve');
  }
  if (addresses.length === 0 || addresses.some((a) => !isPublicAddress(a.address))) {
    throw new ApiProblem('TARGET_NOT_ALLOWED', 'the target host resolves to a private, loopback or link-local address');
  }
  return url;
}

export type PostResult = { ok: true; status: number; durationMs: number } | { ok: false; status?: number; error: string; durationMs: number };

/** A guarded DNS lookup for the socket: every address the name resolves to must be public. */
function guardedLookup(allowPrivate: boolean): RequestOptions['lookup'] {
  return ((hostname: string, options: object, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true, verbatim: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const list = addresses as LookupAddress[];
      if (!allowPrivate && (list.length === 0 || list.some((a) => !isPublicAddress(a.address)))) {
        return callback(Object.assign(new Error('target resolves to a non-public address'), { code: 'TARGET_BLOCKED' }), '');
      }
      if ((options as { all?: boolean }).all) return callback(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  }) as RequestOptions['lookup'];
}

/**
 * POSTs `body` to `url` with `headers`: at most `timeoutMs` for the whole exchange, redirects not followed, the
 * answer's body read (up to 64 KiB) and dropped. 2xx is success; anything else is a failure with a short code.
 */
export function postToTarget(url: string, body: string, headers: Record<string, string>, options: { timeoutMs: number; allowPrivate: boolean }): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return resolve({ ok: false, error: 'INVALID_URL', durationMs: 0 });
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (!options.allowPrivate && isIP(host) && !isPublicAddress(host)) return resolve({ ok: false, error: 'TARGET_BLOCKED', durationMs: 0 });
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, {
      method: 'POST',
      headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)), 'User-Agent': 'LedgerX-Webhooks/1' },
      lookup: guardedLookup(options.allowPrivate),
      timeout: options.timeoutMs,
    });
    const deadline = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })), options.timeoutMs);
    let settled = false;
    const finish = (r: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(r);
    };
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code === 'TIMEOUT' || err.code === 'ETIMEDOUT' ? 'TIMEOUT' : err.code === 'TARGET_BLOCKED' ? 'TARGET_BLOCKED' : 'NETWORK';
      finish({ ok: false, error: code, durationMs: elapsed() });
    });
    req.on('response', (res) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > 65_536) res.destroy();
      });
      const done = () => {
        const status = res.statusCode ?? 0;
        finish(status >= 200 && status < 300 ? { ok: true, status, durationMs: elapsed() } : { ok: false, status, error: `HTTP_${status}`, durationMs: elapsed() });
      };
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    req.end(body);
  });
}
