import type { GraphBuilder } from '../ir/builder.js';
import type { Value } from '../ir/types.js';

const gelu = (b: GraphBuilder, x: Value): Value => {
  // 0.5 * x * (1 + erf(x / sqrt(2))), the exact form
  const erf = b.op('Erf', [b.op('Mul', [x, b.constant(Math.SQRT1_2, x.dtype)])]);
  return b.op('Mul', [b.op('Mul', [x, b.constant(0.5, x.dtype)]), b.op('Add', [erf, b.constant(1, x.dtype)])]);
};

/** Activation functions by Axon's names, as graph fragments. */
export const activations = {
  linear: (_b: GraphBuilder, x: Value) => x,
  relu: (b: GraphBuilder, x: Value) => b.op('Relu', [x]),
  tanh: (b: GraphBuilder, x: Value) => b.op('Tanh', [x]),
  sigmoid: (b: GraphBuilder, x: Value) => b.op('Sigmoid', [x]),
  softmax: (b: GraphBuilder, x: Value) => b.op('Softmax', [x], { axis: -1 }),
  log_softmax: (b: GraphBuilder, x: Value) => b.op('LogSoftmax', [x], { axis: -1 }),
  softplus: (b: GraphBuilder, x: Value) => b.op('Softplus', [x]),
  leaky_relu: (b: GraphBuilder, x: Value) => b.op('LeakyRelu', [x], { alpha: 0.01 }),
  gelu,
  exp: (b: GraphBuilder, x: Value) => b.op('Exp', [x]),
} satisfies Record<string, (b: GraphBuilder, x: Value) => Value>;

export type ActivationName = keyof typeof activations;

export const activationNames = Object.keys(activations) as ActivationName[];

export function isActivationName(name: unknown): name is ActivationName {
  return typeof name === 'string' && Object.hasOwn(activations, name);
}
