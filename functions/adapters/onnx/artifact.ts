import { createHash } from 'node:crypto';

/** Bytes of an exported model plus what a predictor needs to call it. */
export interface OnnxArtifact {
  kind: 'classifier' | 'anomaly';
  bytes: Uint8Array;
  /** Hex sha256 of `bytes` (recorded in model metadata; checked when loading). */
  sha256: string;
  inputName: string;
  /** The output a predictor reads: `probabilities` ([N,2], column 1 = positive) or `score` ([N,1]). */
  outputName: string;
  nFeatures: number;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export const INPUT_NAME = 'features';
