import { compile, type CompiledModel, type CompiledParam } from './model/compile.js';
import { fill } from './model/initializers.js';
import type { ModelLike } from './model/model.js';
import { hashString, Random } from './model/random.js';
import { formatShape } from './ir/types.js';
import { elementCount } from './ir/element-count.js';

export interface TensorData {
  readonly data: Float32Array | Float64Array;
  readonly dims: readonly number[];
}

/** Parameters by name (`dense_0.kernel`, `dense_0.bias`, …): a plain record. */
export type ModelState = Record<string, TensorData>;

export interface InitOptions {
  /** Same seed → same parameters. Default 0. */
  readonly seed?: number;
}

/** Initialise every parameter from its layer's initializer, each from its own seeded stream (imported ones: their values). */
export function initParams(m: ModelLike, options: InitOptions = {}): ModelState {
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new Error(`initParams: seed must be an integer, got ${JSON.stringify(seed)}`);
  const state: ModelState = {};
  for (const p of compile(m).params) {
    if (p.initial) {
      state[p.name] = { data: p.initial.data.slice(), dims: [...p.shape] };
      continue;
    }
    const size = elementCount(p.shape);
    const data = p.dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
    fill(p.initializer, p.shape, new Random(seed, hashString(p.name)), data, p.fans);
    state[p.name] = { data, dims: [...p.shape] };
  }
  return state;
}

/** Check that `state` holds every parameter of the model with the right shape and dtype. */
export function checkState(compiled: CompiledModel, state: ModelState, where: string): void {
  if (typeof state !== 'object' || state === null) throw new Error(`${where}: expected a ModelState record, got ${state === null ? 'null' : typeof state}`);
  // A frozen parameter may be left out: it keeps its imported value.
  for (const p of compiled.params) if (!(p.role === 'frozen' && state[p.name] === undefined)) checkParam(p, state[p.name], where);
  const known = new Set(compiled.params.map((p) => p.name));
  const extra = Object.keys(state).filter((k) => !known.has(k));
  if (extra.length > 0) throw new Error(`${where}: the state has parameters this model does not: ${extra.join(', ')} (expected ${[...known].join(', ')})`);
}

function checkParam(p: CompiledParam, t: TensorData | undefined, where: string): void {
  if (!t) throw new Error(`${where}: parameter '${p.name}' is missing from the state`);
  const size = elementCount(p.shape);
  const sameDims = t.dims.length === p.shape.length && t.dims.every((d, i) => d === p.shape[i]);
  if (!sameDims) throw new Error(`${where}: parameter '${p.name}' has dims ${formatShape(t.dims)}, expected ${formatShape(p.shape)}`);
  const ctor = p.dtype === 'float64' ? Float64Array : Float32Array;
  if (!(t.data instanceof ctor) || t.data.length !== size) {
    throw new Error(`${where}: parameter '${p.name}' must be a ${ctor.name} of ${size} values`);
  }
}

export interface TensorJSON {
  readonly dtype: 'float32' | 'float64';
  readonly dims: number[];
  readonly data: number[];
}

/** A JSON-safe copy of a state (float32 values survive the round trip exactly). */
export function stateToJSON(state: ModelState): Record<string, TensorJSON> {
  return Object.fromEntries(
    Object.entries(state).map(([k, t]) => [k, { dtype: t.data instanceof Float64Array ? 'float64' : 'float32', dims: [...t.dims], data: Array.from(t.data) }]),
  );
}

export function stateFromJSON(json: unknown): ModelState {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('stateFromJSON: expected an object of tensors');
  const state: ModelState = {};
  for (const [k, v] of Object.entries(json as Record<string, Partial<TensorJSON>>)) {
    const { dtype, dims, data } = v ?? {};
    const validDims = Array.isArray(dims) && dims.every((d) => Number.isInteger(d) && d > 0);
    const size = validDims ? elementCount(dims) : NaN;
    if ((dtype !== 'float32' && dtype !== 'float64') || !validDims || !Array.isArray(data) || data.length !== size || data.some((x) => typeof x !== 'number')) {
      throw new Error(`stateFromJSON: tensor '${k}' must be { dtype: 'float32' | 'float64', dims: positive integers, data: number[] } with as many numbers as dims imply`);
    }
    state[k] = { data: dtype === 'float64' ? Float64Array.from(data) : Float32Array.from(data), dims: [...dims] };
  }
  return state;
}
