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
  return {
    name,
    ...common(options, 1e-3, name),
    slots: ['m', 'v'],
    // mhat / (sqrt(vhat) + eps) with mhat = m / c1, vhat = v / c2 (c = 1 - beta^t) equals
    // (sqrt(c2) / c1) · m / (sqrt(v) + eps·sqrt(c2)): the corrections become two scalars.
    prepare: (b, { lr, step }) => {
      const c = (x: number) => b.constant(x, lr.dtype);
      const root2 = b.op('Sqrt', [b.op('Sub', [c(1), b.op('Pow', [c(beta2), step])])]);
      const c1 = b.op('Sub', [c(1), b.op('Pow', [c(beta1), step])]);
      return {
        stepSize: b.op('Div', [b.op('Mul', [lr, root2]), c1]),
        epsilon: b.op('Mul', [c(epsilon), root2]),
        ...(decay > 0 ? { decayRate: b.op('Mul', [lr, c(decay)]) } : {}),
      };
    },
    update: (b, p, g, [m0, v0], _hyper, shared) => {
      const c = (x: number) => b.constant(x, g.dtype);
      const m = b.op('Add', [m0!, b.op('Mul', [c(1 - beta1), b.op('Sub', [g, m0!])])]);
      const v = b.op('Add', [v0!, b.op('Mul', [c(1 - beta2), b.op('Sub', [b.op('Mul', [g, g]), v0!])])]);
      const direction = b.op('Div', [m, b.op('Add', [b.op('Sqrt', [v]), shared.epsilon!])]);
      let next = b.op('Sub', [p, b.op('Mul', [shared.stepSize!, direction])]);
      if (shared.decayRate) next = b.op('Sub', [next, b.op('Mul', [shared.decayRate, p])]);
      return { param: next, state: [m, v] };
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
