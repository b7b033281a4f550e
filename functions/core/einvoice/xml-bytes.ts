/** Largest XML attachment kept (the local engine's default too); larger ones are skipped. */
export const MAX_EMBEDDED_XML_BYTES = 5 * 1024 * 1024;

/** UTF-8 (or UTF-16 with a BOM) text of an XML file, without a BOM (parsers expect `<` first). */
export function decodeXml(bytes: Uint8Array): string {
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  return new TextDecoder('utf-8', { ignoreBOM: false }).decode(bytes);
}
