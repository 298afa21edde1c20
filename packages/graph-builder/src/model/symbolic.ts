import type { GraphBuilder } from '../ir/builder.js';
import type { DType, Shape, Value } from '../ir/types.js';
import type { InitializerSpec } from './initializers.js';
import type { ActivationName } from './activations.js';
import {
  activation as activationLayer,
  add as addLayer,
  concatenate as concatenateLayer,
  dense as denseLayer,
  dropout as dropoutLayer,
  multiply as multiplyLayer,
  subtract as subtractLayer,
  type ConcatenateOptions,
  type DenseOptions,
  type DropoutOptions,
} from './layers.js';

export interface ParamSpec {
  readonly shape: readonly number[];
  readonly initializer: InitializerSpec;
}

export interface LowerContext {
  readonly b: GraphBuilder;
  readonly training: boolean;
}

/** One node of the model graph: what every public layer is built from (Axon's `layer`). */
export interface Layer {
  readonly kind: string;
  /** The user's name; unnamed layers get `<kind>_<n>` when the model is compiled. */
  readonly name: string | undefined;
  readonly inputs: readonly SymbolicTensor[];
  readonly params: Readonly<Record<string, ParamSpec>>;
  /** A short description of the options, for `summary`. */
  readonly info: string;
  readonly lower: (ctx: LowerContext, inputs: readonly Value[], params: Readonly<Record<string, Value>>) => Value;
}

/** The output of a layer: a symbolic tensor whose shape is known at build time. */
export class SymbolicTensor {
  constructor(
    readonly layer: Layer,
    readonly shape: Shape,
    readonly dtype: DType,
  ) {}

  dense(units: number, options?: DenseOptions): SymbolicTensor {
    return denseLayer(this, units, options);
  }

  concatenate(...others: (SymbolicTensor | ConcatenateOptions)[]): SymbolicTensor {
    const tensors = others.filter((o): o is SymbolicTensor => o instanceof SymbolicTensor);
    const options = others.find((o): o is ConcatenateOptions => !(o instanceof SymbolicTensor));
    return concatenateLayer([this, ...tensors], options);
  }

  add(other: SymbolicTensor, options?: { name?: string }): SymbolicTensor {
    return addLayer(this, other, options);
  }

  subtract(other: SymbolicTensor, options?: { name?: string }): SymbolicTensor {
    return subtractLayer(this, other, options);
  }

  multiply(other: SymbolicTensor, options?: { name?: string }): SymbolicTensor {
    return multiplyLayer(this, other, options);
  }

  activation(name: ActivationName, options?: { name?: string }): SymbolicTensor {
    return activationLayer(this, name, options);
  }

  dropout(rate: number, options?: DropoutOptions): SymbolicTensor {
    return dropoutLayer(this, rate, options);
  }
}

/** The layer primitive: every public layer is a thin wrapper over this. */
export function layer(spec: Layer, shape: Shape, dtype: DType): SymbolicTensor {
  return new SymbolicTensor(spec, shape, dtype);
}
