import type { Matrix } from './matrix.js';

/** Bin index reserved for missing values (NaN); real values use bins 0..254. */
export const MISSING_BIN = 255;
export const MAX_BINS = 255;

/**
 * Per-feature upper bin edges, strictly increasing float32 values taken from the training features.
 * A value x falls in the first bin b with x <= edges[b] (values above the last edge fall in the last bin),
 * so "bin <= b" and "x <= edges[b]" are the same test: the split threshold exported to ONNX is edges[b].
 */
export type BinEdges = Float32Array[];

/**
 * Quantile bin edges for every feature from (up to `maxRowsForEdges` evenly spaced) rows.
 * Features with at most `maxBins` distinct values get one bin per value. Throws RangeError on maxBins > 255.
 */
export function fitBinEdges(matrix: Matrix, maxBins = MAX_BINS, maxRowsForEdges = 200_000): BinEdges {
  if (maxBins < 2 || maxBins > MAX_BINS) throw new RangeError(`maxBins must be in 2..${MAX_BINS}`);
  const { rows, cols, data } = matrix;
  const step = Math.max(1, Math.floor(rows / maxRowsForEdges));
  const edges: BinEdges = [];
  const buffer = new Float32Array(Math.ceil(rows / step));
  for (let f = 0; f < cols; f++) {
    let n = 0;
    for (let r = 0; r < rows; r += step) {
      const v = data[r * cols + f]!;
      if (!Number.isNaN(v)) buffer[n++] = v;
    }
    edges.push(quantileEdges(buffer.subarray(0, n).sort(), maxBins));
  }
  return edges;
}

function quantileEdges(sorted: Float32Array, maxBins: number): Float32Array {
  const n = sorted.length;
  if (n === 0) return new Float32Array([0]);
  const distinct: number[] = [];
  for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]!);
  if (distinct.length <= maxBins) return Float32Array.from(distinct);
  const out: number[] = [];
  for (let k = 1; k < maxBins; k++) {
    const v = sorted[Math.min(n - 1, Math.floor((k * n) / maxBins) - 1)]!;
    if (out.length === 0 || v > out[out.length - 1]!) out.push(v);
  }
  const max = sorted[n - 1]!;
  if (out[out.length - 1] !== max) out.push(max);
  return Float32Array.from(out);
}

/** The bin of one value under `edges` (binary search; NaN -> {@link MISSING_BIN}). */
export function binOf(value: number, edges: Float32Array): number {
  if (Number.isNaN(value)) return MISSING_BIN;
  let lo = 0;
  let hi = edges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (value <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Quantizes a matrix row-major into bytes (row r, feature f at r * cols + f). Throws on a column mismatch. */
export function applyBins(matrix: Matrix, edges: BinEdges): Uint8Array {
  const { rows, cols, data } = matrix;
  if (edges.length !== cols) throw new RangeError(`bin edges for ${edges.length} features, matrix has ${cols}`);
  const out = new Uint8Array(rows * cols);
  for (let f = 0; f < cols; f++) {
    const e = edges[f]!;
    for (let r = 0; r < rows; r++) out[r * cols + f] = binOf(data[r * cols + f]!, e);
  }
  return out;
}
