/**
 * L2-regularized logistic regression on standardized features, solved by Newton's method (IRLS) with step
 * halving. Hand-written because ml-logistic-regression has no intercept and no regularization; with tens of
 * features the (F+1)^2 Hessian is small, and Newton converges to machine precision in a handful of steps.
 */
import { z } from 'zod';
import { solveSpd } from './linalg.js';
import { checkBinaryLabels, sigmoid, toMatrix, type MatrixInput } from './matrix.js';
import type { Contributions } from './gbdt-model.js';

export const LogisticOptionsSchema = z.object({
  /** L2 penalty on the (standardized) coefficients, not on the intercept: loss = sum w_i logloss_i + l2/2 |b|^2. */
  l2: z.number().nonnegative().default(1),
  positiveWeight: z.number().positive().default(1),
  maxIterations: z.number().int().positive().default(50),
  /** Stop when the largest absolute gradient entry falls below this times the total row weight. */
  tolerance: z.number().positive().default(1e-9),
});
export type LogisticOptions = z.input<typeof LogisticOptionsSchema>;

export const LogisticModelSchema = z.object({
  kind: z.literal('logistic'),
  nFeatures: z.number().int().positive(),
  /** Training means; also the value a missing feature is imputed with. */
  means: z.array(z.number()),
  /** Training standard deviations (1 for constant features). */
  stds: z.array(z.number().positive()),
  /** Coefficients on standardized features. */
  coefficients: z.array(z.number()),
  intercept: z.number(),
  iterations: z.number().int().min(0),
  converged: z.boolean(),
});
export type LogisticModel = z.infer<typeof LogisticModelSchema>;

/** Parses untrusted JSON into a {@link LogisticModel}; throws ZodError or RangeError when malformed. */
export function parseLogisticModel(json: unknown): LogisticModel {
  const m = LogisticModelSchema.parse(json);
  for (const arr of [m.means, m.stds, m.coefficients]) {
    if (arr.length !== m.nFeatures) throw new RangeError('logistic model arrays do not match nFeatures');
  }
  return m;
}

/**
 * Fits the model. Throws ZodError on invalid options and RangeError on malformed data. Mean/std come from the
 * training rows (NaN ignored); both are rounded to float32 so the ONNX Imputer/Scaler apply the same values.
 */
export function trainLogistic(x: MatrixInput, y: ArrayLike<number>, options: LogisticOptions = {}): LogisticModel {
  const p = LogisticOptionsSchema.parse(options);
  const m = toMatrix(x);
  checkBinaryLabels(y, m.rows);
  const { rows: n, cols: nf, data } = m;
  if (n === 0) throw new RangeError('training set is empty');
  const means = new Array<number>(nf).fill(0);
  const stds = new Array<number>(nf).fill(1);
  for (let f = 0; f < nf; f++) {
    let s = 0;
    let c = 0;
    for (let r = 0; r < n; r++) {
      const v = data[r * nf + f]!;
      if (!Number.isNaN(v)) {
        s += v;
        c++;
      }
    }
    const mean = Math.fround(c > 0 ? s / c : 0);
    let ss = 0;
    for (let r = 0; r < n; r++) {
      const v = data[r * nf + f]!;
      if (!Number.isNaN(v)) ss += (v - mean) ** 2;
    }
    const std = c > 0 ? Math.sqrt(ss / c) : 0;
    means[f] = mean;
    stds[f] = std > 1e-12 ? Math.fround(std) : 1;
  }
  // Standardized design with a leading 1 for the intercept: z = (x - mean) * (1/std), as the ONNX Scaler does.
  const d = nf + 1;
  const z = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    z[r * d] = 1;
    for (let f = 0; f < nf; f++) z[r * d + 1 + f] = standardize(data[r * nf + f]!, means[f]!, stds[f]!);
  }
  const w = new Float64Array(n);
  let totalWeight = 0;
  for (let i = 0; i < n; i++) {
    w[i] = y[i] === 1 ? p.positiveWeight : 1;
    totalWeight += w[i]!;
  }

  let beta = new Float64Array(d);
  let loss = objective(z, y, w, beta, n, d, p.l2);
  let iterations = 0;
  let converged = false;
  for (; iterations < p.maxIterations; iterations++) {
    const grad = new Float64Array(d);
    const hess = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      const o = i * d;
      let eta = 0;
      for (let j = 0; j < d; j++) eta += z[o + j]! * beta[j]!;
      const pr = sigmoid(eta);
      const gi = w[i]! * (pr - y[i]!);
      const hi = w[i]! * pr * (1 - pr);
      for (let j = 0; j < d; j++) {
        const zj = z[o + j]!;
        grad[j]! += gi * zj;
        const hr = hi * zj;
        const hj = j * d;
        for (let k = 0; k <= j; k++) hess[hj + k]! += hr * z[o + k]!;
      }
    }
    for (let j = 1; j < d; j++) {
      grad[j]! += p.l2 * beta[j]!;
      hess[j * d + j]! += p.l2;
    }
    for (let j = 0; j < d; j++) for (let k = 0; k < j; k++) hess[k * d + j] = hess[j * d + k]!;
    // A tiny ridge keeps separable or constant-feature problems solvable.
    for (let j = 0; j < d; j++) hess[j * d + j]! += 1e-10;
    let maxGrad = 0;
    for (let j = 0; j < d; j++) maxGrad = Math.max(maxGrad, Math.abs(grad[j]!));
    if (maxGrad < p.tolerance * Math.max(1, totalWeight)) {
      converged = true;
      break;
    }
    const step = solveSpd(hess, grad, d);
    let t = 1;
    let next = beta;
    let nextLoss = loss;
    for (let halvings = 0; halvings < 30; halvings++, t /= 2) {
      next = beta.map((b, j) => b - t * step[j]!);
      nextLoss = objective(z, y, w, next, n, d, p.l2);
      if (nextLoss <= loss) break;
    }
    if (!(nextLoss <= loss)) break;
    const improvement = loss - nextLoss;
    beta = next;
    loss = nextLoss;
    if (improvement < 1e-15 * Math.max(1, Math.abs(loss))) {
      converged = true;
      iterations++;
      break;
    }
  }
  return {
    kind: 'logistic',
    nFeatures: nf,
    means,
    stds,
    coefficients: Array.from(beta.subarray(1)),
    intercept: beta[0]!,
    iterations,
    converged,
  };
}

function standardize(v: number, mean: number, std: number): number {
  return Number.isNaN(v) ? 0 : Math.fround(Math.fround(v - mean) * Math.fround(1 / std));
}

function objective(z: Float64Array, y: ArrayLike<number>, w: Float64Array, beta: Float64Array, n: number, d: number, l2: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    let eta = 0;
    for (let j = 0; j < d; j++) eta += z[i * d + j]! * beta[j]!;
    s += w[i]! * ((eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta))) - y[i]! * eta);
  }
  let r = 0;
  for (let j = 1; j < d; j++) r += beta[j]! * beta[j]!;
  return s + 0.5 * l2 * r;
}

/** Gradient of the training objective at the model's coefficients ([intercept, ...coefficients]); ~0 at the optimum. */
export function logisticGradient(model: LogisticModel, x: MatrixInput, y: ArrayLike<number>, options: LogisticOptions = {}): Float64Array {
  const p = LogisticOptionsSchema.parse(options);
  const m = toMatrix(x);
  const nf = m.cols;
  const grad = new Float64Array(nf + 1);
  for (let r = 0; r < m.rows; r++) {
    const zr = standardizedRow(model, m.data.subarray(r * nf, (r + 1) * nf));
    let eta = model.intercept;
    for (let f = 0; f < nf; f++) eta += model.coefficients[f]! * zr[f]!;
    const wi = y[r] === 1 ? p.positiveWeight : 1;
    const gi = wi * (sigmoid(eta) - y[r]!);
    grad[0]! += gi;
    for (let f = 0; f < nf; f++) grad[f + 1]! += gi * zr[f]!;
  }
  for (let f = 0; f < nf; f++) grad[f + 1]! += p.l2 * model.coefficients[f]!;
  return grad;
}

/** A row after imputation (train mean) and standardization, exactly as the ONNX Imputer -> Scaler computes it. */
export function standardizedRow(model: LogisticModel, row: ArrayLike<number>): Float64Array {
  const out = new Float64Array(model.nFeatures);
  for (let f = 0; f < model.nFeatures; f++) out[f] = standardize(Math.fround(row[f]!), model.means[f]!, model.stds[f]!);
  return out;
}

/** Margin (log-odds) of one row. */
export function logisticMargin(model: LogisticModel, row: ArrayLike<number>): number {
  const zr = standardizedRow(model, row);
  let eta = model.intercept;
  for (let f = 0; f < model.nFeatures; f++) eta += model.coefficients[f]! * zr[f]!;
  return eta;
}

/** Positive-class probabilities. Throws RangeError on a feature-count mismatch. */
export function logisticPredict(model: LogisticModel, input: MatrixInput): Float64Array {
  const m = toMatrix(input);
  if (m.cols !== model.nFeatures) throw new RangeError(`model expects ${model.nFeatures} features, got ${m.cols}`);
  const out = new Float64Array(m.rows);
  for (let r = 0; r < m.rows; r++) out[r] = sigmoid(logisticMargin(model, m.data.subarray(r * m.cols, (r + 1) * m.cols)));
  return out;
}

/** Exact contributions: coefficient x standardized value per feature; bias = intercept; they sum to the margin. */
export function logisticContributions(model: LogisticModel, row: ArrayLike<number>): Contributions {
  const zr = standardizedRow(model, row);
  const contributions = new Float64Array(model.nFeatures);
  for (let f = 0; f < model.nFeatures; f++) contributions[f] = model.coefficients[f]! * zr[f]!;
  return { bias: model.intercept, contributions };
}
