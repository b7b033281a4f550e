import { generateDemoSet } from '../demo.js';
const t = performance.now();
const m = await generateDemoSet(process.argv[2]!);
console.log(Math.round(performance.now() - t), m.documents.map(d => `${d.file} ${d.kind} ${d.language ?? ''} ${d.supplierId ?? ''} ${d.problems.map(p => p.type).join('+')} ${d.expectedReject ?? ''}`).join('\n'));
