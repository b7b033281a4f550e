import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import { PermanentError } from '../../core/errors.js';
import { toMatrix, type MatrixInput } from '../../core/training/matrix.js';
import { sha256Hex, type OnnxArtifact } from './artifact.js';

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

/** Session options measured to matter: single-threaded, no spinning idle threads burning a shared core. */
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  logSeverityLevel: 3,
  executionMode: 'sequential',
  // Our models are tiny and scored one row at a time: ORT's arena and memory-pattern planning would reserve
  // memory up front for nothing (each costs resident memory per session).
  enableCpuMemArena: false,
  enableMemPattern: false,
};

/**
 * One ONNX Runtime session per model, created lazily on the first predict() and reused (concurrent run()
 * calls on one session are safe). `source` is the model bytes or a loader called once per session.
 * Throws ZodError on invalid options.
 */
export function createOnnxPredictor(source: Uint8Array | (() => Promise<Uint8Array>), options: OnnxPredictorOptions): OnnxPredictor {
  const opts = OnnxPredictorOptionsSchema.parse(options);
  const outputName = opts.outputName ?? (opts.kind === 'classifier' ? 'probabilities' : 'score');
  let session: Promise<ort.InferenceSession> | null = null;

  const open = async (): Promise<ort.InferenceSession> => {
    const bytes = typeof source === 'function' ? await source() : source;
    if (opts.expectedSha256 && sha256Hex(bytes) !== opts.expectedSha256) {
      throw new PermanentError('MODEL_HASH_MISMATCH', 'model bytes do not match the recorded sha256', { expected: opts.expectedSha256 });
    }
    return ort.InferenceSession.create(bytes, SESSION_OPTIONS);
  };
  const getSession = (): Promise<ort.InferenceSession> => {
    if (!session) {
      const pending = open();
      session = pending;
      // A failed load must not poison every later call.
      pending.catch(() => {
        if (session === pending) session = null;
      });
    }
    return session;
  };

  return {
    kind: opts.kind,
    nFeatures: opts.nFeatures,
    async predict(rows) {
      const m = toMatrix(rows);
      if (m.cols !== opts.nFeatures && m.rows > 0) throw new RangeError(`model expects ${opts.nFeatures} features, got ${m.cols}`);
      if (m.rows === 0) return new Float32Array(0);
      const s = await getSession();
      // The native binding reads the whole backing buffer: hand it a view that starts and ends with it.
      const own = m.data.byteOffset === 0 && m.data.byteLength === m.data.buffer.byteLength ? m.data : m.data.slice();
      const input = new ort.Tensor('float32', own, [m.rows, opts.nFeatures]);
      const results = await s.run({ [opts.inputName]: input }, [outputName]);
      const out = results[outputName];
      if (!out) throw new Error(`model produced no output named ${outputName}`);
      const data = out.data as Float32Array;
      if (opts.kind === 'anomaly') return Float32Array.from(data);
      const width = out.dims[1] ?? 1;
      const probs = new Float32Array(m.rows);
      for (let r = 0; r < m.rows; r++) probs[r] = data[r * width + (width - 1)]!;
      return probs;
    },
    async close() {
      const current = session;
      session = null;
      if (current) await (await current).release();
    },
  };
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
