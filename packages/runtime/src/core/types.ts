import type { Tensor } from 'onnxruntime-common';
import type { Dtype, NumericArray } from './dtypes.js';

/** A dimension: a fixed size, a symbolic name such as `'batch'`, or `'?'` when the model leaves it unnamed. */
export type Dim = number | string;

export interface TensorInfo {
  name: string;
  dtype: Dtype;
  /** `null` when the model does not declare the rank. */
  shape: Dim[] | null;
}

export type NestedNumbers = number | readonly NestedNumbers[];

/** A tensor as flat data plus dimensions; an onnxruntime `Tensor` has this form too. */
export interface TensorData {
  data: NumericArray | readonly number[];
  dims: readonly number[];
}

export type TensorLike = NestedNumbers | TensorData | Tensor;

export interface OutputTensor {
  name: string;
  dtype: Dtype;
  dims: number[];
  data: NumericArray;
  /** The values as nested arrays (a plain number for a rank-0 tensor); 64-bit integers become numbers. */
  toArray(): NestedNumbers;
}

export type ModelSource = string | URL | Uint8Array | ArrayBuffer;

export interface LoadOptions {
  /** onnxruntime execution providers, e.g. `['cpu']` (Node default), `['wasm']` (browser default) or `['webgpu']`. */
  executionProviders?: string[];
  intraOpNumThreads?: number;
}

export interface Model {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** Version of the default ONNX operator set the model imports; 0 when it imports none. */
  readonly opset: number;
  readonly irVersion: number;
  readonly producer: { name: string; version: string };
  predict(inputs: Record<string, TensorLike>): Promise<Record<string, OutputTensor>>;
  /**
   * Stacks one example per row (each input without its batch dimension) into a single run and
   * returns, per row, each output without its batch dimension.
   */
  predictBatch(rows: readonly Record<string, NestedNumbers>[]): Promise<Record<string, NestedNumbers>[]>;
  close(): Promise<void>;
  /** Same as `close`. */
  release(): Promise<void>;
}

export type LoadModel = (source: ModelSource, options?: LoadOptions) => Promise<Model>;
