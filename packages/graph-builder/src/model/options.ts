import type { ActivationName } from './activations.js';
import type { InitializerSpec } from './initializers.js';

export interface NameOption {
  readonly name?: string;
}

export interface InputOptions {
  /** Dimensions, `null` for the batch dimension, e.g. `[null, 1]`. */
  readonly shape: readonly (number | null)[];
  /** float32 (default) or float64 for data; int32 or int64 for token ids (embedding). */
  readonly dtype?: 'float32' | 'float64' | 'int32' | 'int64';
}

export interface DenseOptions extends NameOption {
  readonly activation?: ActivationName;
  readonly kernelInitializer?: InitializerSpec;
  readonly biasInitializer?: InitializerSpec;
  readonly useBias?: boolean;
}

export interface ConcatenateOptions extends NameOption {
  readonly axis?: number;
}

export type DropoutOptions = NameOption;

/** Where the channels are: last (`[batch, height, width, channels]`, the default) or first. */
export type Channels = 'last' | 'first';

/**
 * 'valid': no padding; 'same': output size ceil(input / stride), extra padding at the end
 * (Keras, TF.js, Axon); or explicit `[before, after]` per spatial dimension.
 */
export type Padding = 'valid' | 'same' | readonly (readonly [number, number])[];

export interface ConvOptions extends NameOption {
  /** One size for every spatial dimension, or one per dimension. */
  readonly kernelSize: number | readonly number[];
  /** Default 1. */
  readonly strides?: number | readonly number[];
  /** Default 'valid'. */
  readonly padding?: Padding;
  /** Kernel dilation; default 1. */
  readonly dilation?: number | readonly number[];
  /** Channel groups; `groups` = input channels is a depthwise convolution. Default 1. */
  readonly groups?: number;
  readonly activation?: ActivationName;
  readonly useBias?: boolean;
  readonly channels?: Channels;
  readonly kernelInitializer?: InitializerSpec;
  readonly biasInitializer?: InitializerSpec;
}

export interface PoolOptions extends NameOption {
  readonly kernelSize: number | readonly number[];
  /** Default: the kernel size. */
  readonly strides?: number | readonly number[];
  /** Default 'valid'. Average pooling divides by the window's elements inside the input. */
  readonly padding?: Padding;
  readonly channels?: Channels;
}

export interface BatchNormOptions extends NameOption {
  /** running ← momentum · running + (1 − momentum) · batch statistic. Default 0.99 (Keras). */
  readonly momentum?: number;
  /** Default 1e-3 (Keras). */
  readonly epsilon?: number;
  /** The channel axis (logical); default -1 (channels last). */
  readonly axis?: number;
}

export interface LayerNormOptions extends NameOption {
  /** Default 1e-5. */
  readonly epsilon?: number;
  /** The axis normalised over (its size is the size of the scale and offset); default -1. */
  readonly axis?: number;
}

export interface EmbeddingOptions extends NameOption {
  /** Default uniform ±0.05 (Keras). */
  readonly initializer?: InitializerSpec;
}
