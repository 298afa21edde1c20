import { common, fraction, positive, renamed, type CommonOptions, type Optimizer } from './types.js';

export interface RmspropOptions extends CommonOptions {
  /** Decay of the running mean of squared gradients (ρ; Keras `rho`, PyTorch `alpha`). Default 0.9. */
  readonly rho?: number;
  readonly epsilon?: number;
}

/** RMSprop: s = ρ·s + (1-ρ)·g²; p -= lr·g / (sqrt(s) + eps). Default lr 1e-2, ρ 0.9, eps 1e-8. */
export function rmsprop(options: RmspropOptions = {}): Optimizer {
  renamed(options, 'decay', 'rho', 'rmsprop');
  const rho = fraction(options.rho ?? 0.9, 'rho', 'rmsprop');
  const epsilon = positive(options.epsilon ?? 1e-8, 'epsilon', 'rmsprop');
  return {
    name: 'rmsprop',
    ...common(options, 1e-2, 'rmsprop'),
    slots: ['s'],
    update: (b, p, g, [s0], { lr }) => {
      const c = (x: number) => b.constant(x, p.dtype);
      const s = b.op('Add', [b.op('Mul', [c(rho), s0!]), b.op('Mul', [c(1 - rho), b.op('Mul', [g, g])])]);
      const direction = b.op('Div', [g, b.op('Add', [b.op('Sqrt', [s]), c(epsilon)])]);
      return { param: b.op('Sub', [p, b.op('Mul', [lr, direction])]), state: [s] };
    },
  };
}
