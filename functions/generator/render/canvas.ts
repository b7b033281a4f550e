import { degrees, rgb, type Color, type PDFFont, type PDFPage } from 'pdf-lib';

export interface Fonts {
  regular: PDFFont;
  bold: PDFFont;
}

export interface TextOptions {
  size?: number;
  bold?: boolean;
  align?: 'left' | 'right' | 'center';
  color?: Color;
  /** Truncate to this width (points) with an ellipsis. */
  maxWidth?: number;
}

export const BLACK = rgb(0.1, 0.1, 0.1);
export const GRAY = rgb(0.45, 0.45, 0.45);
export const LIGHT = rgb(0.92, 0.92, 0.92);

/** Thin drawing layer over a pdf-lib page with a top-left origin, which is how layouts are designed. */
export class Canvas {
  readonly width: number;
  readonly height: number;

  constructor(
    readonly page: PDFPage,
    readonly fonts: Fonts,
  ) {
    this.width = page.getWidth();
    this.height = page.getHeight();
  }

  textWidth(text: string, size: number, bold = false): number {
    return (bold ? this.fonts.bold : this.fonts.regular).widthOfTextAtSize(text, size);
  }

  fit(text: string, size: number, bold: boolean, maxWidth: number): string {
    if (this.textWidth(text, size, bold) <= maxWidth) return text;
    let t = text;
    while (t.length > 1 && this.textWidth(`${t}...`, size, bold) > maxWidth) t = t.slice(0, -1);
    return `${t.trimEnd()}...`;
  }

  text(text: string, x: number, y: number, o: TextOptions = {}): void {
    if (text === '') return;
    const size = o.size ?? 9;
    const bold = o.bold ?? false;
    const t = o.maxWidth ? this.fit(text, size, bold, o.maxWidth) : text;
    const w = this.textWidth(t, size, bold);
    const left = o.align === 'right' ? x - w : o.align === 'center' ? x - w / 2 : x;
    this.page.drawText(t, { x: left, y: this.height - y - size, size, font: bold ? this.fonts.bold : this.fonts.regular, color: o.color ?? BLACK });
  }

  /** Lines of text top-down from y; returns the y below the last line. */
  lines(lines: readonly string[], x: number, y: number, o: TextOptions & { leading?: number } = {}): number {
    const leading = o.leading ?? (o.size ?? 9) * 1.35;
    lines.forEach((l, i) => this.text(l, x, y + i * leading, o));
    return y + lines.length * leading;
  }

  line(x1: number, y1: number, x2: number, y2: number, width = 0.6, color: Color = GRAY): void {
    this.page.drawLine({ start: { x: x1, y: this.height - y1 }, end: { x: x2, y: this.height - y2 }, thickness: width, color });
  }

  rect(x: number, y: number, w: number, h: number, o: { fill?: Color; border?: Color; borderWidth?: number } = {}): void {
    this.page.drawRectangle({
      x,
      y: this.height - y - h,
      width: w,
      height: h,
      color: o.fill,
      borderColor: o.border,
      borderWidth: o.border ? (o.borderWidth ?? 0.6) : 0,
    });
  }

  stamp(text: string, color: Color): void {
    const size = 64;
    const w = this.textWidth(text, size, true);
    this.page.drawText(text, {
      x: this.width / 2 - (w / 2) * Math.cos(Math.PI / 6),
      y: this.height / 2 - (w / 2) * Math.sin(Math.PI / 6),
      size,
      font: this.fonts.bold,
      color,
      opacity: 0.25,
      rotate: degrees(30),
    });
  }
}
