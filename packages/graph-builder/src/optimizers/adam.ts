import type { GraphBuilder } from '../ir/builder.js';
import type { Value } from '../ir/types.js';
import { common, fraction, positive, type CommonOptions, type Hyper, type Optimizer } from './types.js';

export interface AdamOptions extends CommonOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
}

export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay; default 1e-4. */
  readonly decay?: number;
}

/**
 * The Adam direction mhat / (sqrt(vhat) + eps) with bias correction by the step number:
 * m = b1·m + (1-b1)·g, v = b2·v + (1-b2)·g².
 */
function adamDirection(b: GraphBuilder, g: Value, [m0, v0]: readonly Value[], step: Value, b1: number, b2: number, eps: number) {
  const c = (x: number) => b.constant(x, g.dtype);
  const m = b.op('Add', [b.op('Mul', [c(b1), m0!]), b.op('Mul', [c(1 - b1), g])]);
  const v = b.op('Add', [b.op('Mul', [c(b2), v0!]), b.op('Mul', [c(1 - b2), b.op('Mul', [g, g])])]);
  const mhat = b.op('Div', [m, b.op('Sub', [c(1), b.op('Pow', [c(b1), step])])]);
  const vhat = b.op('Div', [v, b.op('Sub', [c(1), b.op('Pow', [c(b2), step])])]);
  return { direction: b.op('Div', [mhat, b.op('Add', [b.op('Sqrt', [vhat]), c(eps)])]), state: [m, v] };
}

function adamLike(name: 'adam' | 'adamw', options: AdamWOptions, decay: number): Optimizer {
  const beta1 = fraction(options.beta1 ?? 0.9, 'beta1', name);
  const beta2 = fraction(options.beta2 ?? 0.999, 'beta2', name);
  const epsilon = positive(options.epsilon ?? 1e-8, 'epsilon', name);
  return {
    name,
    ...common(options, 1e-3, name),
    slots: ['m', 'v'],
    update: (b, p, g, state, { lr, step }: Hyper) => {
      const { direction, state: next } = adamDirection(b, g, state, step, beta1, beta2, epsilon);
      const full = decay > 0 ? b.op('Add', [direction, b.op('Mul', [b.constant(decay, p.dtype), p])]) : direction;
      return { param: b.op('Sub', [p, b.op('Mul', [lr, full])]), state: next };
    },
  };
}

/** Adam: default lr 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-8. */
export function adam(options: AdamOptions = {}): Optimizer {
  return adamLike('adam', options, 0);
}

/** AdamW: Adam plus decoupled weight decay (p -= lr·decay·p). */
export function adamw(options: AdamWOptions = {}): Optimizer {
  return adamLike('adamw', options, positive(options.decay ?? 1e-4, 'decay', 'adamw', true));
}
