import { z } from 'zod';
import { PermanentError } from '../../core/errors.js';
import { lazy } from '../../core/lazy.js';
import { toMatrix, type MatrixInput } from '../../core/training/matrix.js';
import { sha256Hex, type OnnxArtifact } from './artifact.js';
import { openSyncSession, type SyncOutput, type SyncSession } from './sync-session.js';

export const OnnxPredictorOptionsSchema = z.object({
  /** `classifier`: read column 1 of a float[N,2] output; `anomaly`: read a float[N] or [N,1] output. */
  kind: z.enum(['classifier', 'anomaly']),
  nFeatures: z.number().int().positive(),
  inputName: z.string().min(1).default('features'),
  /** Defaults to `probabilities` (classifier) or `score` (anomaly). */
  outputName: z.string().min(1).optional(),
  /** When set, the model bytes must hash to it (a model swapped on disk is refused). */
  expectedSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});
export type OnnxPredictorOptions = z.input<typeof OnnxPredictorOptionsSchema>;

export interface OnnxPredictor {
  readonly kind: 'classifier' | 'anomaly';
  readonly nFeatures: number;
  /**
   * Positive-class probabilities (classifier) or anomaly scores (anomaly), one per row; values are cast to
   * float32 (NaN = missing). Throws RangeError on a feature-count mismatch, PermanentError when the model
   * bytes do not match `expectedSha256`; an ONNX Runtime failure to load propagates (and is retried next call).
   */
  predict(rows: MatrixInput): Promise<Float32Array>;
  /** Releases the session; a later predict() creates a new one. */
  close(): Promise<void>;
}

/**
 * One ONNX Runtime session per model, opened lazily on the first predict() and reused. `source` is the model
 * bytes or a loader called once per session. Throws ZodError on invalid options.
 */
export function createOnnxPredictor(source: Uint8Array | (() => Promise<Uint8Array>), options: OnnxPredictorOptions): OnnxPredictor {
  const opts = OnnxPredictorOptionsSchema.parse(options);
  const outputName = opts.outputName ?? (opts.kind === 'classifier' ? 'probabilities' : 'score');
  const outputs = [outputName];
  const getSession = lazy(async (): Promise<SyncSession> => {
    const bytes = typeof source === 'function' ? await source() : source;
    if (opts.expectedSha256 && sha256Hex(bytes) !== opts.expectedSha256) {
      throw new PermanentError('MODEL_HASH_MISMATCH', 'model bytes do not match the recorded sha256', { expected: opts.expectedSha256 });
    }
    return openSyncSession(bytes);
  });

  return {
    kind: opts.kind,
    nFeatures: opts.nFeatures,
    async predict(rows) {
      const m = toMatrix(rows);
      if (m.cols !== opts.nFeatures && m.rows > 0) throw new RangeError(`model expects ${opts.nFeatures} features, got ${m.cols}`);
      if (m.rows === 0) return new Float32Array(0);
      const s = await getSession();
      const out = s.run(opts.inputName, m.data, m.rows, m.cols, outputs)[outputName]!;
      return opts.kind === 'anomaly' ? Float32Array.from(out.data) : positiveColumn(out, m.rows);
    },
    async close() {
      const current = getSession.reset();
      if (current) (await current).release();
    },
  };
}

/** Column 1 of a classifier's [N, 2] probabilities (the last column whatever the width). */
export function positiveColumn(out: SyncOutput, rows: number): Float32Array {
  const width = out.dims[1] ?? 1;
  const probs = new Float32Array(rows);
  for (let r = 0; r < rows; r++) probs[r] = out.data[r * width + (width - 1)]!;
  return probs;
}

/** A predictor for an exported artifact (its bytes, names and sha256 check). */
export function createPredictorForArtifact(artifact: OnnxArtifact): OnnxPredictor {
  return createOnnxPredictor(artifact.bytes, {
    kind: artifact.kind,
    nFeatures: artifact.nFeatures,
    inputName: artifact.inputName,
    outputName: artifact.outputName,
    expectedSha256: artifact.sha256,
  });
}
