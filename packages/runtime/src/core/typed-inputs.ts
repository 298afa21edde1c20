import { DTYPES, type Dtype, type NumericArray } from './dtypes.js';
import { sameNames, type PreparedTensor } from './inputs.js';
import type { TensorInfo } from './types.js';

/** An axis of a declared shape: a fixed size (≥ 0), ANY_SIZE for `'?'`, or SYMBOL_BASE − k for the k-th symbolic name. */
const ANY_SIZE = -1;
const SYMBOL_BASE = -2;
const UNBOUND = -1;

interface InputRule {
  readonly name: string;
  readonly dtype: Dtype;
  readonly isStorage: (data: unknown) => data is NumericArray;
  /** One entry per axis (see ANY_SIZE); null when the rank is not declared. */
  readonly axes: readonly number[] | null;
}

/**
 * The cheap check of inputs that need no conversion, for the calls that run again and again
 * (`predict`, a trainer's batches). Built once per list of declared inputs, it accepts values
 * only when every one is a `{ data, dims }` (an onnxruntime `Tensor` too) whose `data` already
 * has the declared dtype's storage and whose `dims` fit the declared shape and the data's
 * length, with symbolic dimensions that agree; it then returns what `prepareInputs` returns for
 * them, without copying the data. Anything else gives `undefined`: `prepareInputs` then converts
 * the values or throws its error, so a value refused here is never refused with another message.
 */
export class TypedInputs {
  private readonly rules: readonly InputRule[];
  private readonly names: readonly string[];
  /** Per symbolic name, the size bound in the current call; reset at the start of each. */
  private readonly bound: number[];

  constructor(readonly infos: readonly TensorInfo[]) {
    const symbols: string[] = [];
    this.rules = infos.map((info) => ({
      name: info.name,
      dtype: info.dtype,
      isStorage: DTYPES[info.dtype].is,
      axes:
        info.shape?.map((dim) => {
          if (typeof dim === 'number') return dim;
          if (dim === '?') return ANY_SIZE;
          if (!symbols.includes(dim)) symbols.push(dim);
          return SYMBOL_BASE - symbols.indexOf(dim);
        }) ?? null,
    }));
    this.bound = symbols.map(() => UNBOUND);
    this.names = infos.map((info) => info.name);
  }

  /** `inputs` by name: exactly the declared names, each a value as described above. */
  fromRecord(inputs: unknown): Record<string, PreparedTensor> | undefined {
    if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) return undefined;
    if (!sameNames(Object.keys(inputs), this.names)) return undefined;
    const { rules } = this;
    this.bound.fill(UNBOUND);
    const prepared: Record<string, PreparedTensor> = {};
    for (const rule of rules) {
      const tensor = this.check(rule, (inputs as Record<string, unknown>)[rule.name]);
      if (tensor === undefined) return undefined;
      prepared[rule.name] = tensor;
    }
    return prepared;
  }

  /** `values[i]` for the i-th declared input. */
  fromValues(values: readonly unknown[]): Record<string, PreparedTensor> | undefined {
    const { rules } = this;
    if (values.length !== rules.length) return undefined;
    this.bound.fill(UNBOUND);
    const prepared: Record<string, PreparedTensor> = {};
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      const tensor = this.check(rule, values[i]);
      if (tensor === undefined) return undefined;
      prepared[rule.name] = tensor;
    }
    return prepared;
  }

  private check(rule: InputRule, value: unknown): PreparedTensor | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    // dims before data, in the order prepareInputs reads them (data may be a getter that throws)
    const dims: unknown = (value as { dims?: unknown }).dims;
    if (!Array.isArray(dims)) return undefined;
    const { axes } = rule;
    if (axes !== null && axes.length !== dims.length) return undefined;
    let count = 1;
    for (let axis = 0; axis < dims.length; axis++) {
      const size: unknown = dims[axis];
      if (!(Number.isSafeInteger(size) && (size as number) >= 0)) return undefined;
      count *= size as number;
      if (axes === null) continue;
      const expected = axes[axis]!;
      if (expected >= 0) {
        if (size !== expected) return undefined;
      } else if (expected !== ANY_SIZE) {
        const symbol = SYMBOL_BASE - expected;
        const bound = this.bound[symbol]!;
        if (bound === UNBOUND) this.bound[symbol] = size as number;
        else if (bound !== size) return undefined;
      }
    }
    const data: unknown = (value as { data?: unknown }).data;
    if (!rule.isStorage(data) || data.length !== count) return undefined;
    return { dtype: rule.dtype, dims: dims.slice() as number[], data };
  }
}
