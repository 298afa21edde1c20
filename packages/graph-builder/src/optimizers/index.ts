import { adam, adamw } from './adam.js';
import { rmsprop } from './rmsprop.js';
import { sgd } from './sgd.js';
import type { Optimizer } from './types.js';

export { adam, adamw, rmsprop, sgd };
export type { Optimizer, Hyper, ParamUpdate, CommonOptions } from './types.js';
export type { SgdOptions } from './sgd.js';
export type { AdamOptions, AdamWOptions } from './adam.js';
export type { RmspropOptions } from './rmsprop.js';

const byName = { sgd, adam, adamw, rmsprop } as const;
export type OptimizerName = keyof typeof byName;

/** An optimizer by name (with its defaults) or as built by `sgd(...)`, `adam(...)`, …. */
export function resolveOptimizer(spec: OptimizerName | Optimizer): Optimizer {
  if (typeof spec === 'string') {
    const make = Object.hasOwn(byName, spec) ? byName[spec] : undefined;
    if (!make) throw new Error(`unknown optimizer ${JSON.stringify(spec)}; expected one of ${Object.keys(byName).join(', ')}`);
    return make();
  }
  if (typeof spec !== 'object' || spec === null || typeof spec.update !== 'function') {
    throw new Error(`expected an optimizer name or sgd()/adam()/adamw()/rmsprop(), got ${JSON.stringify(spec)}`);
  }
  return spec;
}
