import { AFRelationship, PDFDocument, PDFName, StandardFonts, rgb } from 'pdf-lib';
import { LABELS } from '../locale.js';
import type { LayoutId } from '../layout-ids.js';
import type { InvoiceModel } from '../invoice-model.js';
import type { PrintedInvoice } from '../truth.js';
import { Canvas } from './canvas.js';
import { LAYOUTS } from './layouts.js';

const FONTS: Record<LayoutId, [StandardFonts, StandardFonts]> = {
  classic: [StandardFonts.Helvetica, StandardFonts.HelveticaBold],
  banner: [StandardFonts.Helvetica, StandardFonts.HelveticaBold],
  letter: [StandardFonts.Helvetica, StandardFonts.HelveticaBold],
  compact: [StandardFonts.Courier, StandardFonts.CourierBold],
  'serif-boxed': [StandardFonts.TimesRoman, StandardFonts.TimesRomanBold],
};

const A4: [number, number] = [595.28, 841.89];
const LETTER: [number, number] = [612, 792];

export interface RenderPdfOptions {
  layout: LayoutId;
  /** CII XML embedded as `factur-x.xml` (Factur-X / ZUGFeRD). */
  facturX?: { xml: string; profile: string };
}

/**
 * Renders one invoice as a born-digital, single-page PDF with standard fonts (nothing embedded, so a
 * document costs a few milliseconds). Output bytes depend only on the inputs: dates are fixed to the issue
 * date and no random document id is written.
 */
export async function renderInvoicePdf(model: InvoiceModel, printed: PrintedInvoice, options: RenderPdfOptions): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const [regular, bold] = FONTS[options.layout];
  const fonts = { regular: await doc.embedFont(regular), bold: await doc.embedFont(bold) };
  const page = doc.addPage(model.supplier.country === 'US' ? LETTER : A4);
  const canvas = new Canvas(page, fonts);
  const labels = LABELS[model.supplier.language];
  LAYOUTS[options.layout](canvas, { printed, labels, supplier: model.supplier, receiver: model.receiver });
  if (model.stamp) canvas.stamp(model.stamp, rgb(0.8, 0.1, 0.1));
  const when = new Date(`${model.issueDate}T09:00:00Z`);
  doc.setTitle(printed.invoiceId ? `${labels.invoice} ${printed.invoiceId}` : labels.invoice);
  doc.setProducer('LedgerX generator');
  doc.setCreator(model.supplier.name);
  doc.setCreationDate(when);
  doc.setModificationDate(when);
  if (options.facturX) await attachFacturX(doc, options.facturX.xml, options.facturX.profile, when);
  return doc.save();
}

/**
 * Embeds the CII XML the way Factur-X 1.0 / ZUGFeRD 2.x readers look for it: file name `factur-x.xml`,
 * AFRelationship Alternative in the catalog's /AF array, and the fx: XMP extension naming the file and profile.
 * Full PDF/A-3 conformance (embedded fonts, output intent) is out of reach with the standard fonts.
 */
async function attachFacturX(doc: PDFDocument, xml: string, profile: string, when: Date): Promise<void> {
  await doc.attach(new TextEncoder().encode(xml), 'factur-x.xml', {
    mimeType: 'text/xml',
    description: 'Factur-X invoice',
    creationDate: when,
    modificationDate: when,
    afRelationship: AFRelationship.Alternative,
  });
  const xmp = `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"><pdfaid:part>3</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance></rdf:Description>
<rdf:Description rdf:about="" xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"><fx:DocumentType>INVOICE</fx:DocumentType><fx:DocumentFileName>factur-x.xml</fx:DocumentFileName><fx:Version>1.0</fx:Version><fx:ConformanceLevel>${profile}</fx:ConformanceLevel></rdf:Description>
</rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>`;
  const stream = doc.context.stream(new TextEncoder().encode(xmp), { Type: 'Metadata', Subtype: 'XML' });
  doc.catalog.set(PDFName.of('Metadata'), doc.context.register(stream));
}

/** A PDF holding one raster image per page, sized at `dpi` (how scanners and phone apps export). */
export async function imagePdf(image: Uint8Array, type: 'jpeg' | 'png', dpi: number, when: Date): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const img = type === 'jpeg' ? await doc.embedJpg(image) : await doc.embedPng(image);
  const w = (img.width * 72) / dpi;
  const h = (img.height * 72) / dpi;
  const page = doc.addPage([w, h]);
  page.drawImage(img, { x: 0, y: 0, width: w, height: h });
  doc.setProducer('LedgerX generator scan');
  doc.setCreationDate(when);
  doc.setModificationDate(when);
  return doc.save();
}

/** A one-page PDF that is plainly not an invoice (meeting notes), for the bad-input path. */
export async function nonInvoicePdf(lines: string[]): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const fonts = { regular: await doc.embedFont(StandardFonts.Helvetica), bold: await doc.embedFont(StandardFonts.HelveticaBold) };
  const c = new Canvas(doc.addPage(A4), fonts);
  c.text(lines[0] ?? '', 60, 60, { size: 18, bold: true });
  c.lines(lines.slice(1), 60, 100, { size: 11, leading: 18 });
  c.rect(60, 420, 200, 140, { fill: rgb(0.3, 0.6, 0.4) });
  c.rect(300, 460, 180, 100, { fill: rgb(0.8, 0.5, 0.2) });
  return doc.save();
}
