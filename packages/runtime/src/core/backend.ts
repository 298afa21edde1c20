import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { ReadFile } from './source.js';

/**
 * An onnxruntime flavour as a platform entry binds it: the one injection point shared by the
 * runtime's `loadModel` and the trainer. onnxruntime-node and onnxruntime-web both fit.
 */
export interface OrtBackend {
  readonly InferenceSession: { create(bytes: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession> };
  readonly Tensor: typeof Tensor;
  /** The execution provider that the device 'cpu' means here: 'cpu' in onnxruntime-node, 'wasm' in onnxruntime-web. */
  readonly cpuProvider: string;
  /** The execution providers of this build (onnxruntime-node has it; without it only the cpu provider is assumed). */
  readonly listSupportedBackends?: () => readonly { readonly name: string; readonly bundled: boolean }[];
  /** Reads a local model file; only Node has one. */
  readonly readFile?: ReadFile;
  /**
   * The cores a CPU session may use: with it, sessions get one intra-op thread for small runs
   * and all of them for large ones (threads.ts). Without it (onnxruntime-web, whose wasm
   * threads are set once in ort.env), sessions keep onnxruntime's own default.
   */
  readonly cores?: number;
}

/** The parts of an `import * as ort from 'onnxruntime-…'` module a backend needs. */
export interface OrtModule {
  readonly InferenceSession: OrtBackend['InferenceSession'];
  readonly Tensor: typeof Tensor;
  readonly listSupportedBackends?: OrtBackend['listSupportedBackends'];
}

/** Bind an onnxruntime module: `ortBackend(ort, { cpuProvider: 'cpu', readFile })` in Node, `ortBackend(ort, { cpuProvider: 'wasm' })` in a browser. */
export function ortBackend(ort: OrtModule, options: { readonly cpuProvider: string; readonly readFile?: ReadFile; readonly cores?: number }): OrtBackend {
  return {
    InferenceSession: ort.InferenceSession,
    Tensor: ort.Tensor,
    cpuProvider: options.cpuProvider,
    ...(ort.listSupportedBackends ? { listSupportedBackends: ort.listSupportedBackends } : {}),
    ...(options.readFile ? { readFile: options.readFile } : {}),
    ...(options.cores === undefined ? {} : { cores: options.cores }),
  };
}
