import { PermanentError, RejectReason } from '../errors.js';

/** E-invoices with thousands of lines stay well below this; anything larger is refused unparsed. */
export const DEFAULT_MAX_XML_CHARS = 20_000_000;

/**
 * Refuses a document that declares a DTD (DOCTYPE, ENTITY, ELEMENT, ATTLIST, NOTATION...).
 *
 * CII and UBL never need a DTD, and every XML entity attack (external entities, billion laughs, quadratic
 * blow-up, parameter entities) needs one, so refusing any `<!` markup other than a comment or a CDATA
 * section closes the whole class before a parser sees the text. Comments and CDATA are skipped so that a
 * harmless mention of "<!DOCTYPE" inside them is not mistaken for a declaration.
 *
 * @throws PermanentError XML_HOSTILE on a declaration, XML_INVALID on an unterminated comment or CDATA.
 */
export function assertNoDtd(xml: string): void {
  let at = xml.indexOf('<!');
  while (at !== -1) {
    if (xml.startsWith('<!--', at)) {
      const end = xml.indexOf('-->', at + 4);
      if (end === -1) throw new PermanentError(RejectReason.XML_INVALID, 'unterminated XML comment');
      at = xml.indexOf('<!', end + 3);
    } else if (xml.startsWith('<![CDATA[', at)) {
      const end = xml.indexOf(']]>', at + 9);
      if (end === -1) throw new PermanentError(RejectReason.XML_INVALID, 'unterminated CDATA section');
      at = xml.indexOf('<!', end + 3);
    } else {
      throw new PermanentError(RejectReason.XML_HOSTILE, 'XML declares a DTD or entities; refused before parsing', {
        offset: at,
      });
    }
  }
}

/** @throws PermanentError XML_INVALID when the text is empty or longer than `maxChars`. */
export function assertSize(xml: string, maxChars: number): void {
  if (xml.trim().length === 0) throw new PermanentError(RejectReason.XML_INVALID, 'XML is empty');
  if (xml.length > maxChars) {
    throw new PermanentError(RejectReason.XML_INVALID, 'XML exceeds the size limit', {
      chars: xml.length,
      maxChars,
    });
  }
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * Resolves the five predefined XML entities and numeric character references.
 *
 * Hand-written because the parser runs with entity processing off (its entity engine is the attack surface
 * we refuse); without a DTD these are the only references XML allows, so anything else is not well-formed.
 *
 * @throws PermanentError XML_INVALID on an unknown entity or an invalid code point.
 */
export function decodeXmlReferences(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&([^;&\s]{0,12});/g, (_match, name: string) => {
    const predefined = PREDEFINED[name];
    if (predefined !== undefined) return predefined;
    const numeric = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(name);
    if (numeric) {
      const code = numeric[1] !== undefined ? parseInt(numeric[1], 16) : Number(numeric[2]);
      if (code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)) return String.fromCodePoint(code);
    }
    throw new PermanentError(RejectReason.XML_INVALID, 'XML references an undeclared entity');
  });
}
