import { createHash } from 'node:crypto';

/**
 * The invoice id is derived from the storage object's identity `bucket/name#generation`: every redelivery of
 * the same finalize event maps to the same invoice, while a re-upload (new generation) is new work.
 */
export function invoiceIdFor(bucket: string, name: string, generation: string): string {
  return 'inv_' + createHash('sha256').update(`${bucket}/${name}#${generation}`).digest('hex').slice(0, 24);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
