import type { GraphBuilder } from '../ir/builder.js';
import type { Value } from '../ir/types.js';
import { common, fraction, type CommonOptions, type Optimizer } from './types.js';

export interface SgdOptions extends CommonOptions {
  /** Default 0 (plain SGD). */
  readonly momentum?: number;
  readonly nesterov?: boolean;
}

/** SGD (Axon/Optax semantics): v = μv + g; p -= lr·(nesterov ? g + μv : v). Default lr 0.01. */
export function sgd(options: SgdOptions = {}): Optimizer {
  const where = 'sgd';
  const momentum = fraction(options.momentum ?? 0, 'momentum', where);
  const nesterov = options.nesterov ?? false;
  if (nesterov && momentum === 0) throw new Error(`${where}: nesterov needs a momentum > 0`);
  return {
    name: 'sgd',
    ...common(options, 0.01, where),
    slots: momentum > 0 ? ['velocity'] : [],
    ...(momentum === 0 ? { scaledUpdate: subtract } : {}),
    update: (b, p, g, state, { lr }) => {
      if (momentum === 0) return { param: b.op('Sub', [p, b.op('Mul', [lr, g])]), state: [] };
      const mu = b.constant(momentum, p.dtype);
      const velocity = b.op('Add', [b.op('Mul', [mu, state[0]!]), g]);
      const direction = nesterov ? b.op('Add', [g, b.op('Mul', [mu, velocity])]) : velocity;
      return { param: b.op('Sub', [p, b.op('Mul', [lr, direction])]), state: [velocity] };
    },
  };
}

/**
 * p − g. When g is a Gemm without bias (a dense kernel's gradient, α·A·B), one Gemm with p as
 * its C instead: −α·A·B + p, a node fewer per kernel and step.
 */
export function subtract(b: GraphBuilder, p: Value, g: Value): Value {
  const gemm = g.producer;
  const sameShape = g.shape.length === p.shape.length && g.shape.every((d, i) => d === p.shape[i]);
  if (gemm?.op !== 'Gemm' || gemm.inputs.length !== 2 || !sameShape) return b.op('Sub', [p, g]);
  const { alpha = 1, transA = 0, transB = 0 } = gemm.attrs as { alpha?: number; transA?: number; transB?: number };
  return b.op('Gemm', [gemm.inputs[0]!, gemm.inputs[1]!, p], { alpha: -alpha, beta: 1, transA, transB });
}
