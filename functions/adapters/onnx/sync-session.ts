/**
 * A synchronous ONNX Runtime session for float32 models with one input.
 *
 * Why not the public `InferenceSession`: onnxruntime-node's `run()` wraps the synchronous native call in
 * setImmediate + a Promise, and its `create()` does the same. On one invoice row that deferral (an event-loop
 * turn, plus argument normalisation) cost more than the trees themselves: 3 models through the public API
 * measured 27 µs p50, the same 3 native calls 22 µs, one merged graph 14 µs, against 8 µs for a TypeScript
 * traversal of the same trees. The native binding underneath is the package's own, loaded from its `dist/`;
 * onnxruntime-node is pinned to an exact version in package.json, and test/unit/onnx-sync-session.test.ts
 * checks this path against the public API so that an upgrade that moves the binding fails a test, not a
 * deployment.
 */
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import type { Binding } from 'onnxruntime-node/dist/binding.js';

interface NativeModule {
  binding: { InferenceSession: Binding.InferenceSessionConstructor };
  initOrt: () => void;
}

const native = createRequire(import.meta.url)('onnxruntime-node/dist/binding.js') as NativeModule;

/** Measured to matter: single-threaded (no spinning idle threads on a shared core), no up-front arenas. */
export const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  logSeverityLevel: 3,
  executionMode: 'sequential',
  // Tiny models scored a row at a time: ORT's arena and memory-pattern planning would reserve memory up
  // front for nothing (measured: no latency difference either way).
  enableCpuMemArena: false,
  enableMemPattern: false,
};

/** One output tensor: its float data and shape. */
export interface SyncOutput {
  data: Float32Array;
  dims: readonly number[];
}

export interface SyncSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Runs the model on `rows` x `cols` float32 values (row-major) fed to `inputName`, returning the requested
   * float outputs. Throws RangeError when `data` does not hold rows x cols values, the input or an output
   * name is not the model's, or an output is not float; an ONNX Runtime error (a wrong width) propagates.
   */
  run(inputName: string, data: Float32Array, rows: number, cols: number, outputs: readonly string[]): Record<string, SyncOutput>;
  /** Frees the native session; later run() calls throw. */
  release(): void;
}

/** Opens a session on model `bytes`. Throws when ONNX Runtime refuses the model. */
export function openSyncSession(bytes: Uint8Array, options: ort.InferenceSession.SessionOptions = SESSION_OPTIONS): SyncSession {
  native.initOrt();
  const session = new native.binding.InferenceSession();
  session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, options);
  const inputNames = session.inputMetadata.map((m) => m.name);
  const outputNames = session.outputMetadata.map((m) => m.name);
  const fetchesCache = new Map<string, Record<string, null>>();
  let released = false;
  return {
    inputNames,
    outputNames,
    run(inputName, data, rows, cols, outputs) {
      if (released) throw new Error('session released');
      if (data.length !== rows * cols) throw new RangeError(`expected ${rows} x ${cols} values, got ${data.length}`);
      // Checked here: ONNX Runtime would also refuse them, but only after logging to stderr.
      if (inputNames.length !== 1 || inputNames[0] !== inputName) throw new RangeError(`the model's input is ${inputNames.join(', ')}, not ${inputName}`);
      const unknown = outputs.find((o) => !outputNames.includes(o));
      if (unknown !== undefined) throw new RangeError(`the model has no output named ${unknown}`);
      // The native side reads the tensor's whole backing buffer: hand it a view that spans it exactly.
      const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
      const key = outputs.join('\u0000');
      let fetches = fetchesCache.get(key);
      if (!fetches) {
        fetches = Object.fromEntries(outputs.map((o) => [o, null]));
        fetchesCache.set(key, fetches);
      }
      const results = session.run({ [inputName]: new ort.Tensor('float32', own, [rows, cols]) }, fetches, {});
      const out: Record<string, SyncOutput> = {};
      for (const name of outputs) {
        const value = results[name] as ort.Tensor | undefined;
        if (!value) throw new Error(`model produced no output named ${name}`);
        if (!(value.data instanceof Float32Array)) throw new RangeError(`output ${name} is ${value.type}, not float32`);
        out[name] = { data: value.data, dims: value.dims };
      }
      return out;
    },
    release() {
      if (released) return;
      released = true;
      session.dispose();
    },
  };
}
