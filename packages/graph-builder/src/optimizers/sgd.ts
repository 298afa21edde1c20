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
    ...(momentum === 0 ? { scaledUpdate: (b, p, scaled) => b.op('Sub', [p, scaled]) } : {}),
    update: (b, p, g, state, { lr }) => {
      if (momentum === 0) return { param: b.op('Sub', [p, b.op('Mul', [lr, g])]), state: [] };
      const mu = b.constant(momentum, p.dtype);
      const velocity = b.op('Add', [b.op('Mul', [mu, state[0]!]), g]);
      const direction = nesterov ? b.op('Add', [g, b.op('Mul', [mu, velocity])]) : velocity;
      return { param: b.op('Sub', [p, b.op('Mul', [lr, direction])]), state: [velocity] };
    },
  };
}
