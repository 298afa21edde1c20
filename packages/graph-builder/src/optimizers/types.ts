import type { GraphBuilder } from '../ir/builder.js';
import type { Value } from '../ir/types.js';

/** Graph inputs every optimizer update reads: the learning rate and the 1-based step number. */
export interface Hyper {
  readonly lr: Value;
  readonly step: Value;
}

export interface ParamUpdate {
  readonly param: Value;
  readonly state: readonly Value[];
}

/** An optimizer as a graph fragment; its per-parameter state lives in `slots`, zeros at first. */
export interface Optimizer {
  readonly name: 'sgd' | 'adam' | 'adamw' | 'rmsprop';
  /** Default learning rate, the initial value the trainer feeds to the `lr` input. */
  readonly learningRate: number;
  readonly slots: readonly string[];
  /** Rescale gradients so their global L2 norm is at most this. */
  readonly clipNorm: number | undefined;
  /** Emit, once per step, scalars that every parameter's update shares (Adam's bias corrections). */
  readonly prepare?: (b: GraphBuilder, hyper: Hyper) => Readonly<Record<string, Value>>;
  readonly update: (b: GraphBuilder, param: Value, grad: Value, state: readonly Value[], hyper: Hyper, shared: Readonly<Record<string, Value>>) => ParamUpdate;
  /**
   * For an update that is `param - lr·grad`: the step given the gradient already scaled by the
   * learning rate, which the reverse pass makes by starting from `lr` instead of 1 (one
   * multiplication per parameter fewer). Unused when gradients are clipped.
   */
  readonly scaledUpdate?: (b: GraphBuilder, param: Value, scaledGrad: Value) => Value;
  /**
   * A rescaled form of the state that makes the update cheaper, for the fused model: `enter`
   * maps a parameter's slots to it before the steps of a run and `exit` back after them, so
   * the slots fed and returned keep their meaning; `prepare` and `update` work on that form.
   */
  readonly carried?: {
    readonly enter: (b: GraphBuilder, slots: readonly Value[]) => Value[];
    readonly exit: (b: GraphBuilder, slots: readonly Value[]) => Value[];
    readonly prepare?: Optimizer['prepare'];
    readonly update: Optimizer['update'];
  };
}

export interface CommonOptions {
  readonly learningRate?: number;
  readonly clipNorm?: number;
}

export function positive(value: unknown, what: string, where: string, allowZero = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new Error(`${where}: ${what} must be a ${allowZero ? 'non-negative' : 'positive'} finite number, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function fraction(value: unknown, what: string, where: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) throw new Error(`${where}: ${what} must be in [0, 1), got ${JSON.stringify(value)}`);
  return value;
}

export function common(options: CommonOptions, defaultLr: number, where: string): { learningRate: number; clipNorm: number | undefined } {
  return {
    learningRate: positive(options.learningRate ?? defaultLr, 'learningRate', where),
    clipNorm: options.clipNorm === undefined ? undefined : positive(options.clipNorm, 'clipNorm', where),
  };
}

/** Reject an option under its former name, saying what it is called now. */
export function renamed(options: object, old: string, now: string, where: string): void {
  if (Object.hasOwn(options, old)) throw new Error(`${where}: the option '${old}' is now called '${now}'`);
}
