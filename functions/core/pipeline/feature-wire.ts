/** JSON has no NaN: missing feature values travel and are stored as null, and become NaN again for models. */
export function featuresToWire(features: Record<string, number>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(features)) out[k] = Number.isFinite(v) ? v : null;
  return out;
}

export function featuresFromWire(features: Record<string, number | null>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(features)) out[k] = v ?? Number.NaN;
  return out;
}
