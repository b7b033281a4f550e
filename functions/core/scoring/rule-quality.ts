/**
 * Rule-based extraction quality in 0..1, used on its own when no model is installed and next to the model's
 * quality otherwise. A weighted mean of the components that are available (weights renormalized over them):
 *
 *   ocr        0.3  mean(ocr_conf_mean, 1 - ocr_low_conf_share)    NaN for a document without tokens
 *   image      0.2  img_quality_min                                 NaN for text layers and e-invoices
 *   presence   0.3  key_fields_present_share
 *   confidence 0.2  key_fields_conf_mean (0 when no key field is present)
 *
 * Missing components drop out instead of counting as 0, so a clean text-layer PDF is not punished for having
 * no image measures. Every input is clamped to 0..1; with no component at all the quality is 0.
 */
export const RULE_QUALITY_WEIGHTS = { ocr: 0.3, image: 0.2, presence: 0.3, confidence: 0.2 } as const;

export function ruleQuality(features: Record<string, number>): number {
  const get = (name: string) => {
    const v = features[name];
    return v === undefined || !Number.isFinite(v) ? Number.NaN : Math.min(1, Math.max(0, v));
  };
  const ocrParts = [get('ocr_conf_mean'), 1 - get('ocr_low_conf_share')].filter((x) => !Number.isNaN(x));
  const presence = get('key_fields_present_share');
  const confidence = get('key_fields_conf_mean');
  const components: Array<[number, number]> = [
    [RULE_QUALITY_WEIGHTS.ocr, ocrParts.length === 0 ? Number.NaN : ocrParts.reduce((s, x) => s + x, 0) / ocrParts.length],
    [RULE_QUALITY_WEIGHTS.image, get('img_quality_min')],
    [RULE_QUALITY_WEIGHTS.presence, presence],
    [RULE_QUALITY_WEIGHTS.confidence, Number.isNaN(confidence) && !Number.isNaN(presence) ? 0 : confidence],
  ];
  let weight = 0;
  let sum = 0;
  for (const [w, c] of components) {
    if (Number.isNaN(c)) continue;
    weight += w;
    sum += w * c;
  }
  return weight === 0 ? 0 : sum / weight;
}
