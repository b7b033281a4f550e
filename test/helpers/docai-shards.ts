/**
 * Document AI batch output cut from a saved response: one Document split into shards of `pagesPerShard` pages
 * as batch processing writes them (each shard holds its pages, the text from its first page's anchor on, the
 * entities anchored in that text, `shardInfo` with index, count and text offset, and text anchors relative to
 * the shard's own text).
 */
type Doc = { text: string; pages: Array<Record<string, unknown>>; entities?: unknown[] };

const startOf = (v: unknown) => Number((v as { textAnchor?: { textSegments?: Array<{ startIndex?: unknown }> } }).textAnchor?.textSegments?.[0]?.startIndex ?? 0);
const pageStart = (page: Record<string, unknown>) => startOf(page['layout']);

function shift(v: unknown, by: number): unknown {
  if (Array.isArray(v)) return v.map((x) => shift(x, by));
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) =>
      k === 'textSegments'
        ? [k, (x as Array<Record<string, unknown>>).map((s) => ({ ...s, startIndex: String(Number(s['startIndex'] ?? 0) - by), endIndex: String(Number(s['endIndex'] ?? 0) - by) }))]
        : [k, shift(x, by)],
    ),
  );
}

/** Shards of `doc` (camelCase), in order. */
export function splitIntoShards(doc: Doc, pagesPerShard = 1): Array<Record<string, unknown>> {
  const groups: Array<Array<Record<string, unknown>>> = [];
  for (let i = 0; i < doc.pages.length; i += pagesPerShard) groups.push(doc.pages.slice(i, i + pagesPerShard));
  const cuts = groups.map((g, i) => (i === 0 ? 0 : pageStart(g[0]!)));
  return groups.map((pages, i) => {
    const from = cuts[i]!;
    const to = cuts[i + 1] ?? doc.text.length;
    const entities = (doc.entities ?? []).filter((e) => startOf(e) >= from && startOf(e) < to);
    return {
      ...(i === 0 ? { ...doc } : {}),
      text: doc.text.slice(from, to),
      pages: shift(pages, from),
      entities: shift(entities, from),
      shardInfo: { shardIndex: String(i), shardCount: String(groups.length), textOffset: String(from) },
    };
  });
}
