import type { GraphBuilder } from '../ir/builder.js';
import type { DType, Shape, Value } from '../ir/types.js';
import type { InitializerSpec } from './initializers.js';
import type { ActivationName } from './activations.js';
import type {
  BatchNormOptions,
  ConcatenateOptions,
  ConvOptions,
  DenseOptions,
  DropoutOptions,
  EmbeddingOptions,
  LayerNormOptions,
  NameOption,
  PoolOptions,
} from './options.js';

export interface ParamSpec {
  readonly shape: readonly number[];
  readonly initializer: InitializerSpec;
  /** Fan-in and fan-out for the scaled initializers, when the shape alone does not say (conv kernels). */
  readonly fans?: readonly [number, number];
  /**
   * false: state the train step updates itself (batch-norm statistics), carried and saved
   * like a parameter but given no gradient and no optimizer state. Default true.
   */
  readonly trainable?: boolean;
  /** The parameter's full name, when it is not `<layer>.<param>` (imported initializers). */
  readonly fullName?: string;
  /**
   * The parameter's value as imported: `initParams` copies it instead of drawing. A
   * non-trainable parameter with a value is frozen: a constant of the train step.
   */
  readonly initial?: { readonly data: Float32Array | Float64Array; readonly dims: readonly number[] };
}

export interface LowerContext {
  readonly b: GraphBuilder;
  readonly training: boolean;
  /** The physical axis of a logical axis of the layer's inputs (they may be stored channels first). */
  readonly axis: (logical: number, rank: number) => number;
  /** In a train step: the new value of a non-trainable parameter of this layer. */
  readonly update: (param: string, value: Value) => void;
}

/**
 * How a layer takes its inputs' memory layout. 'logical' (default): as the user sees them.
 * 'channels-first': logical channels-last inputs arrive transposed to channels first and the
 * output (rank ≥ 3) stays so. 'preserve': inputs arrive as they are stored (the layer is
 * indifferent, or uses `axis`), and the output is stored the same way.
 */
export type LayoutPolicy = 'logical' | 'channels-first' | 'preserve';

/** One node of the model graph: what every public layer is built from (Axon's `layer`). */
export interface Layer {
  readonly kind: string;
  /** The user's name; unnamed layers get `<kind>_<n>` when the model is compiled. */
  readonly name: string | undefined;
  readonly inputs: readonly SymbolicTensor[];
  readonly params: Readonly<Record<string, ParamSpec>>;
  /** A short description of the options, for `summary`. */
  readonly info: string;
  readonly layout?: LayoutPolicy;
  /** The default-domain opset the layer's nodes need, when above the builder's (imported nodes). */
  readonly opset?: number;
  readonly lower: (ctx: LowerContext, inputs: readonly Value[], params: Readonly<Record<string, Value>>) => Value;
}

/**
 * The output of a layer: a symbolic tensor whose shape is known at build time. The layer
 * functions are also its methods (`x.dense(8)`); model/layers.ts installs them, since it is
 * the module that makes the first tensor of every model.
 */
export class SymbolicTensor {
  constructor(
    readonly layer: Layer,
    readonly shape: Shape,
    readonly dtype: DType,
  ) {}
}

export interface SymbolicTensor {
  dense(units: number, options?: DenseOptions): SymbolicTensor;
  concatenate(...others: (SymbolicTensor | ConcatenateOptions)[]): SymbolicTensor;
  add(other: SymbolicTensor, options?: NameOption): SymbolicTensor;
  subtract(other: SymbolicTensor, options?: NameOption): SymbolicTensor;
  multiply(other: SymbolicTensor, options?: NameOption): SymbolicTensor;
  activation(name: ActivationName, options?: NameOption): SymbolicTensor;
  dropout(rate: number, options?: DropoutOptions): SymbolicTensor;
  conv(filters: number, options: ConvOptions): SymbolicTensor;
  maxPool(options: PoolOptions): SymbolicTensor;
  avgPool(options: PoolOptions): SymbolicTensor;
  globalAvgPool(options?: Pick<PoolOptions, 'channels' | 'name'>): SymbolicTensor;
  globalMaxPool(options?: Pick<PoolOptions, 'channels' | 'name'>): SymbolicTensor;
  flatten(options?: NameOption): SymbolicTensor;
  reshape(shape: readonly number[], options?: NameOption): SymbolicTensor;
  batchNorm(options?: BatchNormOptions): SymbolicTensor;
  layerNorm(options?: LayerNormOptions): SymbolicTensor;
  embedding(vocabSize: number, embeddingSize: number, options?: EmbeddingOptions): SymbolicTensor;
}

/** The layer primitive: every public layer is a thin wrapper over this. */
export function layer(spec: Layer, shape: Shape, dtype: DType): SymbolicTensor {
  return new SymbolicTensor(spec, shape, dtype);
}
