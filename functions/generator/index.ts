/** Seeded invoice generator: demo samples, benchmark batches and labelled training corpora. */
export { generateCorpus, CorpusBuilder, type NewInvoiceSpec } from './corpus.js';
export { generateDemoSet } from './demo.js';
export {
  GenerateOptionsSchema,
  ManifestSchema,
  ManifestEntrySchema,
  ProblemRatesSchema,
  ProblemSchema,
  TruthSchema,
  DegradationsSchema,
  DocumentKindSchema,
  type GenerateOptions,
  type Manifest,
  type ManifestEntry,
  type Problem,
  type ProblemType,
  type Truth,
  type Degradations,
  type DocumentKind,
} from './schemas.js';
export { LAYOUT_IDS, type LayoutId } from './layout-ids.js';
export { rasterizePdf } from './render/scan.js';
