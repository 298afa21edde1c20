import type { GraphBuilder } from '../ir/builder.js';
import type { Value } from '../ir/types.js';
import { common, fraction, positive, renamed, type CommonOptions, type Optimizer } from './types.js';

export interface AdamOptions extends CommonOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
}

export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay λ: p -= lr·λ·p each step. Default 1e-4. */
  readonly weightDecay?: number;
}

function adamLike(name: 'adam' | 'adamw', options: AdamWOptions, decay: number): Optimizer {
  const beta1 = fraction(options.beta1 ?? 0.9, 'beta1', name);
  const beta2 = fraction(options.beta2 ?? 0.999, 'beta2', name);
  const epsilon = positive(options.epsilon ?? 1e-8, 'epsilon', name);
  // mhat / (sqrt(vhat) + eps) with mhat = m / c1, vhat = v / c2 (c = 1 - beta^t) equals
  // (sqrt(c2) / c1) · m / (sqrt(v) + eps·sqrt(c2)): the corrections become two scalars, times
  // `scale` and over `root` for the carried form below.
  const prepare =
    (scale: number, root: number): NonNullable<Optimizer['prepare']> =>
    (b, { lr, step }) => {
      const c = (x: number) => b.constant(x, lr.dtype);
      const root2 = b.op('Sqrt', [b.op('Sub', [c(1), b.op('Pow', [c(beta2), step])])]);
      const c1 = b.op('Sub', [c(1), b.op('Pow', [c(beta1), step])]);
      const stepSize = b.op('Div', [b.op('Mul', [lr, root2]), c1]);
      return {
        stepSize: scale === 1 ? stepSize : b.op('Mul', [stepSize, c(scale)]),
        epsilon: b.op('Mul', [c(epsilon / root), root2]),
        ...(decay > 0 ? { decayRate: b.op('Mul', [lr, c(decay)]) } : {}),
      };
    };
  const step = (b: GraphBuilder, p: Value, direction: Value, shared: Readonly<Record<string, Value>>): Value => {
    const next = b.op('Sub', [p, b.op('Mul', [shared.stepSize!, direction])]);
    return shared.decayRate ? b.op('Sub', [next, b.op('Mul', [shared.decayRate, p])]) : next;
  };
  const scaled = (b: GraphBuilder, slots: readonly Value[], by: readonly number[]) => slots.map((s, i) => b.op('Mul', [s, b.constant(by[i]!, s.dtype)]));
  return {
    name,
    ...common(options, 1e-3, name),
    slots: ['m', 'v'],
    prepare: prepare(1, 1),
    update: (b, p, g, [m0, v0], _hyper, shared) => {
      const c = (x: number) => b.constant(x, g.dtype);
      const m = b.op('Add', [m0!, b.op('Mul', [c(1 - beta1), b.op('Sub', [g, m0!])])]);
      const v = b.op('Add', [v0!, b.op('Mul', [c(1 - beta2), b.op('Sub', [b.op('Mul', [g, g]), v0!])])]);
      return { param: step(b, p, b.op('Div', [m, b.op('Add', [b.op('Sqrt', [v]), shared.epsilon!])]), shared), state: [m, v] };
    },
    // In a run of fused steps the moments are carried as m / (1 - beta1) and v / (1 - beta2):
    // m' = beta1·m + g and v' = beta2·v + g² take 5 element-wise passes over the parameter instead
    // of 7, and (1 - beta1) / sqrt(1 - beta2) moves into the step size, 1 / sqrt(1 - beta2) into epsilon.
    carried: {
      enter: (b, slots) => scaled(b, slots, [1 / (1 - beta1), 1 / (1 - beta2)]),
      exit: (b, slots) => scaled(b, slots, [1 - beta1, 1 - beta2]),
      prepare: prepare((1 - beta1) / Math.sqrt(1 - beta2), Math.sqrt(1 - beta2)),
      update: (b, p, g, [m0, v0], _hyper, shared) => {
        const c = (x: number) => b.constant(x, g.dtype);
        const m = b.op('Add', [b.op('Mul', [m0!, c(beta1)]), g]);
        const v = b.op('Add', [b.op('Mul', [v0!, c(beta2)]), b.op('Mul', [g, g])]);
        return { param: step(b, p, b.op('Div', [m, b.op('Add', [b.op('Sqrt', [v]), shared.epsilon!])]), shared), state: [m, v] };
      },
    },
  };
}

/** Adam: default lr 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-8. */
export function adam(options: AdamOptions = {}): Optimizer {
  return adamLike('adam', options, 0);
}

/** AdamW: Adam plus decoupled weight decay (p -= lr·weightDecay·p). */
export function adamw(options: AdamWOptions = {}): Optimizer {
  renamed(options, 'decay', 'weightDecay', 'adamw');
  return adamLike('adamw', options, positive(options.weightDecay ?? 1e-4, 'weightDecay', 'adamw', true));
}
