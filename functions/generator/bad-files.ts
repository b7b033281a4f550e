import { RejectReason } from '../core/errors.js';
import type { Rng } from './rng.js';
import { nonInvoicePdf } from './render/pdf.js';
import { rasterizePdf } from './render/scan.js';

export const BAD_FILE_TYPES = ['zero-byte', 'truncated-pdf', 'non-invoice-image', 'unsupported-type'] as const;
export type BadFileType = (typeof BAD_FILE_TYPES)[number];

export interface BadFile {
  bytes: Uint8Array;
  extension: string;
  mimeType: string;
  expectedReject: RejectReason;
}

const NOTES = [
  ['Team offsite - agenda', '09:00 Welcome and coffee', '09:30 Roadmap review', '11:00 Workshop: customer journeys', '12:30 Lunch', '14:00 Hiking trip', '18:00 Dinner at the lake'],
  ['Einkaufsliste', 'Milch, Brot, Butter', 'Tomaten und Gurken', 'Kaffee (2 Packungen)', 'Geschenk für Anna', 'Blumen für das Büro'],
  ['Compte rendu de réunion', 'Participants : équipe produit', 'Points abordés : planning du trimestre', 'Décisions : lancement en septembre', 'Prochaine réunion : mardi'],
];

/**
 * A file the pipeline must reject, with the reason it should record. A truncated PDF keeps its header
 * (so the type sniffs as PDF) and loses its cross-reference table and trailer.
 */
export async function makeBadFile(rng: Rng, type: BadFileType, invoicePdf: () => Promise<Uint8Array>, emptyExtension?: string): Promise<BadFile> {
  switch (type) {
    case 'zero-byte':
      return { bytes: new Uint8Array(0), extension: emptyExtension ?? rng.pick(['pdf', 'jpg', 'png']), mimeType: 'application/octet-stream', expectedReject: RejectReason.FILE_EMPTY };
    case 'truncated-pdf': {
      const full = await invoicePdf();
      const cut = Math.floor(full.length * rng.float(0.25, 0.6));
      return { bytes: full.slice(0, cut), extension: 'pdf', mimeType: 'application/pdf', expectedReject: RejectReason.PDF_CORRUPT };
    }
    case 'non-invoice-image': {
      const png = await rasterizePdf(await nonInvoicePdf(rng.pick(NOTES)), 100);
      return { bytes: png, extension: 'png', mimeType: 'image/png', expectedReject: RejectReason.NOT_AN_INVOICE };
    }
    case 'unsupported-type': {
      if (rng.chance(0.5)) {
        const text = 'Invoice data export\nid;amount\n1;100.00\n';
        return { bytes: new TextEncoder().encode(text), extension: 'txt', mimeType: 'text/plain', expectedReject: RejectReason.UNSUPPORTED_TYPE };
      }
      // A ZIP local-file header: what a .docx/.xlsx looks like to type sniffing.
      const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0, ...Array.from({ length: 118 }, () => rng.int(0, 255))]);
      return { bytes: zip, extension: 'docx', mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', expectedReject: RejectReason.UNSUPPORTED_TYPE };
    }
  }
}
