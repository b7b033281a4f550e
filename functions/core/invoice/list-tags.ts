import type { InvoiceRecord } from './record.js';

/**
 * The tags an invoice listing filters on besides its plain columns: `reason:<code>` for every reason of the
 * decision, `model:<name>@<version>` and `model:<version>` for every model it was scored with. Both store
 * adapters derive them from the record with this one function (SQLite keeps them in a side table filled by
 * triggers with the same rule, Firestore in two array fields), so a filter means the same everywhere.
 */
export function reasonCodesOf(record: Pick<InvoiceRecord, 'decision'>): string[] {
  return [...new Set((record.decision?.reasons ?? []).map((r) => r.code))].sort();
}

/** `name@version` and the bare `version` of every model behind the decision, deduplicated and sorted. */
export function modelVersionTagsOf(record: Pick<InvoiceRecord, 'decision'>): string[] {
  const versions = record.decision?.modelVersions ?? {};
  const tags = Object.entries(versions).flatMap(([name, version]) => [`${name}@${version}`, version]);
  return [...new Set(tags)].sort();
}
