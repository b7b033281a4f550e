import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { PermanentError, RejectReason } from '../errors.js';
import { assertNoDtd, assertSize, decodeXmlReferences } from './xml-safety.js';

/** An element reduced to what the e-invoice mappers need: names without prefixes, resolved namespace. */
export interface XmlElement {
  /** Local name (prefix removed): CII and UBL documents use varying prefixes for the same vocabulary. */
  readonly local: string;
  /** Namespace URI of the element, '' when unqualified. */
  readonly ns: string;
  /** Attributes by local name, entity references resolved. */
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Concatenated character data directly inside this element (not its descendants). */
  readonly text: string;
}

export interface XmlLimits {
  maxChars: number;
  /** CII nests about 10 deep; a deeper document is an attack on the parser's stack, not an invoice. */
  maxDepth: number;
}

type OrderedNode = Record<string, unknown>;

const ATTRS_KEY = ':@';
const TEXT_KEY = '#text';
const CDATA_KEY = '#cdata';

function parserFor(limits: XmlLimits): XMLParser {
  return new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseTagValue: false,
    parseAttributeValue: false,
    processEntities: false,
    htmlEntities: false,
    trimValues: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    cdataPropName: CDATA_KEY,
    maxNestedTags: limits.maxDepth,
  });
}

function split(qname: string): { prefix: string; local: string } {
  const colon = qname.indexOf(':');
  return colon === -1 ? { prefix: '', local: qname } : { prefix: qname.slice(0, colon), local: qname.slice(colon + 1) };
}

function cdataText(value: unknown): string {
  if (!Array.isArray(value)) return '';
  return value.map((part) => (typeof (part as OrderedNode)[TEXT_KEY] === 'string' ? String((part as OrderedNode)[TEXT_KEY]) : '')).join('');
}

function toElement(node: OrderedNode, inherited: ReadonlyMap<string, string>): XmlElement {
  const qname = Object.keys(node).find((k) => k !== ATTRS_KEY);
  if (qname === undefined) throw new PermanentError(RejectReason.XML_INVALID, 'malformed element');
  const rawAttrs = (node[ATTRS_KEY] ?? {}) as Record<string, unknown>;
  let scope = inherited;
  const attrs: Record<string, string> = {};
  for (const [name, value] of Object.entries(rawAttrs)) {
    const decoded = decodeXmlReferences(String(value));
    if (name === 'xmlns' || name.startsWith('xmlns:')) {
      if (scope === inherited) scope = new Map(inherited);
      (scope as Map<string, string>).set(name === 'xmlns' ? '' : name.slice(6), decoded);
    } else {
      attrs[split(name).local] = decoded;
    }
  }
  const { prefix, local } = split(qname);
  const children: XmlElement[] = [];
  let text = '';
  const content = node[qname];
  for (const child of Array.isArray(content) ? (content as OrderedNode[]) : []) {
    if (typeof child[TEXT_KEY] === 'string') text += decodeXmlReferences(child[TEXT_KEY]);
    else if (CDATA_KEY in child) text += cdataText(child[CDATA_KEY]);
    else children.push(toElement(child, scope));
  }
  return { local, ns: scope.get(prefix) ?? '', attrs, children, text };
}

/**
 * The content of binary objects (a file embedded in the XML as base64: CII `AttachmentBinaryObject`, UBL
 * `EmbeddedDocumentBinaryObject`), with the element and its attributes kept. fast-xml-parser builds a text node
 * one character at a time, so a 1.3 MB attachment cost 80 ms, mostly garbage collection, on every invoice that
 * carries one; no mapper reads that content. Attribute values may hold '>', hence the quoted alternatives.
 */
const BINARY_OBJECT_CONTENT = /(<((?:[A-Za-z_][\w.-]*:)?[A-Za-z_][\w.-]*BinaryObject)(?:[^>"'/]|"[^"]*"|'[^']*')*>)[^<]+(?=<\/\2\s*>)/g;

/**
 * Parses XML into an {@link XmlElement} tree, refusing hostile input before any parsing. The content of binary
 * objects is checked for well-formedness with the rest and then left out of the tree (see BINARY_OBJECT_CONTENT).
 *
 * @throws PermanentError XML_HOSTILE for any DTD or entity declaration; XML_INVALID when the text is empty, too
 *   large, too deep, not well-formed, references an undeclared entity or has not exactly one root element.
 */
export function parseXmlTree(xml: string, limits: XmlLimits): XmlElement {
  assertSize(xml, limits.maxChars);
  const text = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  assertNoDtd(text);
  const verdict = XMLValidator.validate(text);
  if (verdict !== true) {
    throw new PermanentError(RejectReason.XML_INVALID, 'XML is not well-formed', {
      line: verdict.err.line,
      col: verdict.err.col,
    });
  }
  let nodes: OrderedNode[];
  try {
    nodes = parserFor(limits).parse(text.replace(BINARY_OBJECT_CONTENT, '$1')) as OrderedNode[];
  } catch (err) {
    throw new PermanentError(RejectReason.XML_INVALID, `XML could not be parsed: ${(err as Error).message}`);
  }
  const roots = nodes.filter((n) => !(TEXT_KEY in n) && !(CDATA_KEY in n));
  const strayText = nodes.some((n) => typeof n[TEXT_KEY] === 'string' && String(n[TEXT_KEY]).trim() !== '');
  if (roots.length !== 1 || strayText || roots[0] === undefined) {
    throw new PermanentError(RejectReason.XML_INVALID, 'XML must have exactly one root element', { roots: roots.length });
  }
  return toElement(roots[0], new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]));
}

// ------------------------------------------------------------------------------------------ navigation

/** Direct children whose local name is one of `names`. */
export function childrenNamed(el: XmlElement | undefined, ...names: string[]): XmlElement[] {
  return el ? el.children.filter((c) => names.includes(c.local)) : [];
}

/** First direct child whose local name is one of `names`. */
export function child(el: XmlElement | undefined, ...names: string[]): XmlElement | undefined {
  return el?.children.find((c) => names.includes(c.local));
}

/**
 * Follows a path of steps; each step lists alternative local names (CII D16B vs ZUGFeRD 1.0 spellings).
 * Returns every element reached, in document order.
 */
export function all(el: XmlElement | undefined, ...steps: ReadonlyArray<string | readonly string[]>): XmlElement[] {
  let level: XmlElement[] = el ? [el] : [];
  for (const step of steps) {
    const names = typeof step === 'string' ? [step] : step;
    level = level.flatMap((e) => childrenNamed(e, ...names));
  }
  return level;
}

export function first(el: XmlElement | undefined, ...steps: ReadonlyArray<string | readonly string[]>): XmlElement | undefined {
  return all(el, ...steps)[0];
}

/** Text of an element with whitespace runs collapsed; undefined when absent or blank. */
export function textOf(el: XmlElement | undefined): string | undefined {
  if (!el) return undefined;
  const collapsed = el.text.replace(/\s+/g, ' ').trim();
  return collapsed === '' ? undefined : collapsed;
}
