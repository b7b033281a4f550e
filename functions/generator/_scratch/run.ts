import { generateCorpus } from '../corpus.js';
const t = performance.now();
const m = await generateCorpus({ outDir: process.argv[2]!, seed: Number(process.argv[3] ?? 1), count: Number(process.argv[4] ?? 30), mix: process.argv[5] === 'pdf' ? { bornDigital: 1, scan: 0, einvoicePdf: 0, einvoiceXml: 0 } : undefined, problemRates: process.argv[5] === 'pdf' ? { badFile: 0, exactDuplicate: 0, businessDuplicate: 0, nearDuplicate: 0 } : undefined });
console.log('ms', Math.round(performance.now() - t), m.documents.length);
const kinds: Record<string, number> = {};
for (const d of m.documents) kinds[d.kind] = (kinds[d.kind] ?? 0) + 1;
console.log(kinds, m.documents.flatMap(d => d.problems.map(p => p.type)).join(','));
