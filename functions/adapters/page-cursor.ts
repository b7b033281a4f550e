import { z } from 'zod';

/** Keyset cursors of the learning stores: a tuple of strings, opaque to callers (base64url JSON). */
const CursorSchema = z.array(z.string()).min(1).max(4);

export function encodeCursor(parts: readonly string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** Throws `invalid cursor` for anything a store did not issue, or a cursor of another length. */
export function decodeCursor(cursor: string, length: number): string[] {
  try {
    const parts = CursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parts.length !== length) throw new Error('length');
    return parts;
  } catch {
    throw new Error('invalid cursor');
  }
}
