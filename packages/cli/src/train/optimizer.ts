import { adam, adamw, rmsprop, sgd, type Optimizer } from '@onnxpipe/graph-builder';
import { CliError, UsageError } from '../errors.js';

export const OPTIMIZERS = { sgd, adam, adamw, rmsprop } as const;
export type OptimizerChoice = keyof typeof OPTIMIZERS;
export const DEFAULT_OPTIMIZER: OptimizerChoice = 'adam';

const isChoice = (name: unknown): name is OptimizerChoice => typeof name === 'string' && Object.hasOwn(OPTIMIZERS, name);

/**
 * The optimizer from --optimizer, else the definition's `optimizer` export (a name or sgd(…)/adam(…)),
 * else adam; --lr sets the learning rate of one chosen by name.
 */
export function chooseOptimizer(flag: OptimizerChoice | undefined, exported: unknown, lr: number | undefined): Optimizer {
  const choice = flag ?? exported ?? DEFAULT_OPTIMIZER;
  if (isChoice(choice)) return OPTIMIZERS[choice](lr === undefined ? {} : { learningRate: lr });
  if (typeof choice === 'string') {
    throw new CliError(`the definition's optimizer '${choice}' is unknown; expected one of ${Object.keys(OPTIMIZERS).join(', ')}`);
  }
  if (typeof choice !== 'object' || choice === null || typeof (choice as Optimizer).update !== 'function') {
    throw new CliError('the definition exports an `optimizer` that is neither a name nor sgd(…)/adam(…)/adamw(…)/rmsprop(…)');
  }
  if (lr !== undefined) throw new UsageError("--lr cannot change the definition's optimizer object; pass --optimizer too, or set learningRate in the definition");
  return choice as Optimizer;
}
