/** Problem rates of a generated corpus of clean documents: no unreadable files and no duplicates of any kind. */
export const NO_PROBLEMS = { badFile: 0, exactDuplicate: 0, businessDuplicate: 0, nearDuplicate: 0 } as const;

/** A generated corpus of born-digital PDFs only (no scans, no e-invoices). */
export const BORN_DIGITAL_ONLY = { bornDigital: 1, scan: 0, einvoicePdf: 0, einvoiceXml: 0 } as const;
