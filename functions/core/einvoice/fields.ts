import type { AmountField, DateField, TextField } from '../invoice/invoice.js';
import { textOf, type XmlElement } from './xml-tree.js';

/**
 * Turns XML values into invoice fields: exact values (confidence 1, source 'einvoice'), the XML text kept
 * as `raw`. Values that cannot be read are left out and noted in `warnings` by field name only.
 */
export class FieldReader {
  readonly warnings: string[] = [];

  text(el: XmlElement | undefined): TextField | undefined {
    const value = textOf(el);
    return value === undefined ? undefined : { value, confidence: 1, source: 'einvoice', raw: value };
  }

  /** Joins several texts (e.g. multiple payment term descriptions) with a space. */
  joinedText(els: readonly XmlElement[]): TextField | undefined {
    const parts = els.map(textOf).filter((t): t is string => t !== undefined);
    if (parts.length === 0) return undefined;
    const value = parts.join(' ');
    return { value, confidence: 1, source: 'einvoice', raw: value };
  }

  /** A decimal as written in the XML; never rounded (Number() of the literal is the nearest double). */
  amount(el: XmlElement | undefined, name: string): AmountField | undefined {
    const raw = textOf(el);
    if (raw === undefined) return undefined;
    if (!/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/.test(raw)) {
      this.warnings.push(`${name}: not a decimal number`);
      return undefined;
    }
    return { value: Number(raw), confidence: 1, source: 'einvoice', raw };
  }

  /**
   * A CII date (`DateTimeString` child or direct text, with a UNTDID 2379 `format`: 102 = CCYYMMDD) or a UBL
   * ISO date. Formats that do not name a single day (610 month, 616 week) are skipped with a warning.
   */
  date(el: XmlElement | undefined, name: string): DateField | undefined {
    if (!el) return undefined;
    const holder = el.children.find((c) => c.local === 'DateTimeString') ?? el;
    const raw = textOf(holder);
    if (raw === undefined) return undefined;
    const format = holder.attrs['format'];
    let iso: string | undefined;
    if ((format === undefined || format === '102') && /^\d{8}$/.test(raw)) {
      iso = `${raw.slice(0, 4)}-${raw.slice(4, 6)}-${raw.slice(6, 8)}`;
    } else if (format === undefined && /^\d{4}-\d{2}-\d{2}$/.test(raw)) {
      iso = raw;
    } else if (format === undefined && /^\d{4}-\d{2}-\d{2}T/.test(raw)) {
      iso = raw.slice(0, 10);
    }
    if (iso === undefined || !isCalendarDate(iso)) {
      this.warnings.push(`${name}: unsupported date${format ? ` format ${format}` : ''}`);
      return undefined;
    }
    return { value: iso, confidence: 1, source: 'einvoice', raw };
  }

  /** An ISO 4217 code; anything else is left out with a warning. */
  currency(el: XmlElement | undefined): TextField | undefined {
    const raw = textOf(el);
    if (raw === undefined) return undefined;
    const code = raw.toUpperCase();
    if (!/^[A-Z]{3}$/.test(code)) {
      this.warnings.push('currency: not an ISO 4217 code');
      return undefined;
    }
    return { value: code, confidence: 1, source: 'einvoice', raw };
  }
}

function isCalendarDate(iso: string): boolean {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** Drops undefined members so that optional fields are absent rather than present-but-undefined. */
export function compact<T extends Record<string, unknown>>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

export function hasAny(obj: Record<string, unknown>): boolean {
  return Object.values(obj).some((v) => v !== undefined);
}
