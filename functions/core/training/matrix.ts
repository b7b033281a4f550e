/**
 * A dense row-major float32 matrix. NaN marks a missing value.
 *
 * Float32 on purpose: ONNX Runtime only takes float32 inputs, and a model trained on the same float32 values it
 * will be served with cannot flip a row across a split threshold between training and serving.
 */
export interface Matrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

/** Anything {@link toMatrix} accepts: a {@link Matrix} or an array of equally long rows (NaN/null = missing). */
export type MatrixInput = Matrix | ReadonlyArray<ArrayLike<number | null>>;

function isMatrix(input: MatrixInput): input is Matrix {
  return (input as Matrix).data instanceof Float32Array && typeof (input as Matrix).rows === 'number';
}

/**
 * Normalizes input to a {@link Matrix} (no copy when it already is one).
 * Throws RangeError when rows differ in length or a matrix's data length is not rows x cols.
 */
export function toMatrix(input: MatrixInput): Matrix {
  if (isMatrix(input)) {
    if (input.data.length !== input.rows * input.cols) {
      throw new RangeError(`matrix data has ${input.data.length} values, expected ${input.rows} x ${input.cols}`);
    }
    return input;
  }
  const rows = input.length;
  const cols = rows === 0 ? 0 : input[0]!.length;
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = input[r]!;
    if (row.length !== cols) throw new RangeError(`row ${r} has ${row.length} values, expected ${cols}`);
    for (let c = 0; c < cols; c++) {
      const v = row[c];
      data[r * cols + c] = v === null || v === undefined ? Number.NaN : v;
    }
  }
  return { data, rows, cols };
}

/** The rows at `indices`, copied into a new matrix (for train/validation/test subsets). */
export function takeRows(matrix: Matrix, indices: ArrayLike<number>): Matrix {
  const { cols } = matrix;
  const data = new Float32Array(indices.length * cols);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!;
    data.set(matrix.data.subarray(r * cols, (r + 1) * cols), i * cols);
  }
  return { data, rows: indices.length, cols };
}

/** Values of `values` at `indices` (labels or weights that go with {@link takeRows}). */
export function takeValues(values: ArrayLike<number>, indices: ArrayLike<number>): Float64Array {
  const out = new Float64Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = values[indices[i]!]!;
  return out;
}

/** Throws RangeError unless labels are 0/1 and as many as the matrix has rows. */
export function checkBinaryLabels(labels: ArrayLike<number>, rows: number): void {
  if (labels.length !== rows) throw new RangeError(`${labels.length} labels for ${rows} rows`);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y !== 0 && y !== 1) throw new RangeError(`label at row ${i} is ${String(y)}, expected 0 or 1`);
  }
}

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}
