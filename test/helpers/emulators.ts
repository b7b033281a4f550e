import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/**
 * Starts and stops the Google Cloud SDK's Pub/Sub and Firestore emulators for contract tests.
 *
 * Each emulator runs in its own process group (detached) so that stopping it kills the java process too: the
 * SDK wrapper scripts do not always `exec`, and killing only the shell would leave the JVM holding the port.
 */

export type EmulatorKind = 'pubsub' | 'firestore';

export interface RunningEmulator {
  kind: EmulatorKind;
  /** `127.0.0.1:PORT`, the value for PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST. */
  host: string;
  port: number;
  /** Milliseconds from spawn to the readiness line. */
  startMs: number;
  stop(): Promise<void>;
}

const READY: Record<EmulatorKind, RegExp> = {
  pubsub: /Server started/,
  firestore: /Dev App Server is now running/,
};

let cachedSdkRoot: string | null | undefined;

/** The Cloud SDK root, or null when gcloud (or the emulator components) is not installed. */
export function cloudSdkRoot(): string | null {
  if (cachedSdkRoot !== undefined) return cachedSdkRoot;
  const fromEnv = process.env.CLOUDSDK_ROOT_DIR;
  let root: string | null = fromEnv && existsSync(fromEnv) ? fromEnv : null;
  if (!root) {
    const out = spawnSync('gcloud', ['info', '--format=value(installation.sdk_root)'], { encoding: 'utf8', timeout: 30_000 });
    const candidate = out.status === 0 ? out.stdout.trim() : '';
    root = candidate && existsSync(candidate) ? candidate : null;
  }
  cachedSdkRoot = root;
  return root;
}

function commandFor(kind: EmulatorKind, sdk: string, port: number): { cmd: string; args: string[] } | null {
  if (kind === 'pubsub') {
    const bin = join(sdk, 'platform', 'pubsub-emulator', 'bin', 'cloud-pubsub-emulator');
    return existsSync(bin) ? { cmd: bin, args: ['--host=127.0.0.1', `--port=${port}`] } : null;
  }
  const jar = join(sdk, 'platform', 'cloud-firestore-emulator', 'cloud-firestore-emulator.jar');
  return existsSync(jar)
    ? {
        cmd: 'java',
        args: ['-cp', jar, 'com.google.cloud.datastore.emulator.firestore.CloudFirestore', '--host=127.0.0.1', `--port=${port}`],
      }
    : null;
}

/** Whether the given emulator can be started on this machine (SDK and component installed). */
export function emulatorAvailable(kind: EmulatorKind): boolean {
  const sdk = cloudSdkRoot();
  return sdk !== null && commandFor(kind, sdk, 0) !== null;
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Spawns the emulator on a free port and resolves once it prints its readiness line.
 * Throws when the SDK is missing, the process exits early, or it is not ready within `timeoutMs`.
 * A port taken between the probe and the emulator's bind (several suites, or several checkouts, starting
 * emulators at once) is retried on another port, up to three times.
 */
export async function startEmulator(kind: EmulatorKind, timeoutMs = 60_000): Promise<RunningEmulator> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startEmulatorOnce(kind, timeoutMs);
    } catch (err) {
      if (attempt >= 3 || !/Address already in use|BindException/.test((err as Error).message)) throw err;
    }
  }
}

async function startEmulatorOnce(kind: EmulatorKind, timeoutMs: number): Promise<RunningEmulator> {
  const sdk = cloudSdkRoot();
  const port = await freePort();
  const command = sdk ? commandFor(kind, sdk, port) : null;
  if (!command) throw new Error(`the ${kind} emulator is not installed`);
  const started = Date.now();
  const child = spawn(command.cmd, command.args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      reject(new Error(`${kind} emulator not ready after ${timeoutMs} ms:\n${output.slice(-2000)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (READY[kind].test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} emulator exited with ${code}:\n${output.slice(-2000)}`));
    });
  });
  // Keep draining the pipes so a chatty emulator never blocks on a full buffer.
  child.stdout?.removeAllListeners('data').resume();
  child.stderr?.removeAllListeners('data').resume();
  return {
    kind,
    host: `127.0.0.1:${port}`,
    port,
    startMs: Date.now() - started,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Deletes every document of the Firestore emulator's default database for `projectId`. */
export async function resetFirestore(host: string, projectId: string): Promise<void> {
  const res = await fetch(`http://${host}/emulator/v1/projects/${projectId}/databases/(default)/documents`, { method: 'DELETE' });
  if (!res.ok) throw new Error(`Firestore emulator reset failed: ${res.status}`);
}
