import { z } from 'zod';

/** Keyset position of an invoice listing: (createdAt, invoiceId), the order every store adapter lists in. */
const CursorSchema = z.tuple([z.string(), z.string()]);

/** An opaque cursor for the page after the item with this (createdAt, invoiceId). */
export function encodeListCursor(createdAt: string, invoiceId: string): string {
  return Buffer.from(JSON.stringify([createdAt, invoiceId])).toString('base64url');
}

/** Throws `invalid list cursor` for anything a store did not issue. */
export function decodeListCursor(cursor: string): [string, string] {
  try {
    return CursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new Error('invalid list cursor');
  }
}
