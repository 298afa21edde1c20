import { checkInputNames, prepareInputs, RuntimeInputError, type PreparedTensor, type TensorInfo } from '@onnxpipe/runtime';
import type { TrainStepSignature } from '@onnxpipe/graph-builder';
import type { Batch, Data } from './types.js';

export interface PreparedBatch {
  /** Graph input name → tensor (data inputs and targets). */
  readonly tensors: Readonly<Record<string, PreparedTensor>>;
  readonly size: number;
}

export interface BatchLayout {
  readonly inputs: readonly TensorInfo[];
  /** Output name → target input. */
  readonly targets: Readonly<Record<string, TensorInfo>>;
  /** The inputs, then the targets. */
  readonly all: readonly TensorInfo[];
}

/** The data inputs and targets of one step (the fused model's leading `steps` axis removed). */
export function batchLayout(sig: Pick<TrainStepSignature, 'dtype' | 'inputs' | 'targets'> & { readonly fused?: boolean }): BatchLayout {
  const strip = (shape: readonly (number | string)[]) => (sig.fused ? shape.slice(1) : [...shape]);
  const inputs: TensorInfo[] = sig.inputs.map((i) => ({ name: i.name, dtype: i.dtype as TensorInfo['dtype'], shape: strip(i.shape) }));
  const targets = Object.fromEntries(Object.entries(sig.targets).map(([o, t]) => [o, { name: t.name, dtype: t.dtype, shape: strip(t.shape) } as TensorInfo]));
  return { inputs, targets, all: [...inputs, ...Object.values(targets)] };
}

/** Booleans (in nested arrays) become 0/1 so that boolean labels can be fed to a float target. */
function booleansToNumbers(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (Array.isArray(value)) return value.some((v) => typeof v === 'boolean' || Array.isArray(v)) ? value.map(booleansToNumbers) : value;
  return value;
}

/** The flat index of the first NaN or infinity of a float tensor, or -1. */
export function firstNonFinite(t: PreparedTensor): number {
  const data = t.data;
  if (!(data instanceof Float32Array || data instanceof Float64Array)) return -1;
  // v - v is 0 for every finite v, NaN for NaN and ±Infinity; a plain loop is ~8x faster than findIndex.
  for (let i = 0; i < data.length; i++) if (data[i]! - data[i]! !== 0) return i;
  return -1;
}

/** Metric functions take plain numbers: integer targets of 64 bits are converted. */
export function numbers(data: PreparedTensor['data']): ArrayLike<number> {
  return data instanceof BigInt64Array || data instanceof BigUint64Array ? Float64Array.from(data, Number) : data;
}

/**
 * Validate one `[inputs, target]` batch against the train-step model and convert it to
 * its dtypes. Errors name the batch by its 1-based `number`, the input and what was expected.
 */
export function prepareBatch(layout: BatchLayout, batch: unknown, number: number): PreparedBatch {
  const where = `batch ${number}`;
  if (!Array.isArray(batch) || batch.length !== 2) {
    throw new RuntimeInputError(`${where}: expected [inputs, target], got ${Array.isArray(batch) ? `an array of ${batch.length}` : typeof batch}`);
  }
  const [inputs, target] = batch as unknown as Batch;
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
    throw new RuntimeInputError(`${where}: inputs must be a record of input name to tensor, got ${Array.isArray(inputs) ? 'an array' : typeof inputs}`);
  }
  checkInputNames(layout.inputs, Object.keys(inputs), `${where}: `);
  const infos = layout.all;
  const targets = targetFeeds(layout, target, where);
  let tensors: Record<string, PreparedTensor>;
  try {
    tensors = prepareInputs(infos, { ...inputs, ...targets });
  } catch (error) {
    if (error instanceof RuntimeInputError) throw new RuntimeInputError(`${where}: ${error.message}`, { cause: error });
    throw error;
  }
  for (const info of infos) {
    const t = tensors[info.name]!;
    const at = firstNonFinite(t);
    if (at >= 0) throw new RuntimeInputError(`${where}: input '${info.name}' has ${t.data[at]} at flat index ${at}; expected finite numbers`);
  }
  return { tensors, size: tensors[layout.inputs[0]!.name]!.dims[0]! };
}

/** The target (one tensor, or a record by output name for several outputs) keyed by the target inputs' names. */
export function targetFeeds(layout: BatchLayout, target: unknown, where: string): Record<string, unknown> {
  const outputs = Object.keys(layout.targets);
  if (outputs.length === 1) return { [layout.targets[outputs[0]!]!.name]: booleansToNumbers(target) };
  if (typeof target !== 'object' || target === null || Array.isArray(target)) {
    throw new RuntimeInputError(`${where}: the model has outputs ${outputs.join(', ')}; the target must be a record with one tensor for each`);
  }
  const given = Object.keys(target);
  const unknown = given.filter((k) => !outputs.includes(k));
  const missing = outputs.filter((o) => !given.includes(o));
  if (unknown.length > 0 || missing.length > 0) {
    const problem = missing.length > 0 ? `has no target for ${missing.map((o) => `'${o}'`).join(', ')}` : `has targets for unknown outputs ${unknown.map((o) => `'${o}'`).join(', ')}`;
    throw new RuntimeInputError(`${where}: the target record ${problem}; the model's outputs are ${outputs.join(', ')}`);
  }
  return Object.fromEntries(outputs.map((o) => [layout.targets[o]!.name, booleansToNumbers((target as Record<string, unknown>)[o])]));
}

/** True for an iterator or generator object, which can be read only once. */
export function isOneShot(source: Data): boolean {
  const iterable = source as { [Symbol.asyncIterator]?: () => unknown; [Symbol.iterator]?: () => unknown };
  const make = iterable[Symbol.asyncIterator] ?? iterable[Symbol.iterator];
  return typeof make === 'function' && make.call(source) === source;
}

/**
 * The batches of one epoch. A re-iterable source (an array, a Set, an object with
 * [Symbol.iterator]) starts over each epoch; an iterator or generator object continues
 * where the last epoch stopped. `limit` caps the number of batches. A synchronous source
 * gives a synchronous iterable (`for await` then takes one tick per batch, not an async
 * generator's several).
 */
export function epochBatches<T>(source: Data<T>, cursor: { iterator?: Iterator<Batch<T>> | AsyncIterator<Batch<T>> }, limit: number): Iterable<Batch<T>> | AsyncIterable<Batch<T>> {
  if (limit <= 0) return [];
  const iterable = source as Partial<Iterable<Batch<T>> & AsyncIterable<Batch<T>>>;
  const isAsync = typeof iterable[Symbol.asyncIterator] === 'function';
  const make = isAsync ? iterable[Symbol.asyncIterator]!.bind(source) : iterable[Symbol.iterator]?.bind(source);
  if (!make) throw new TypeError(`data must be an iterable or async iterable of [inputs, target] batches, got ${typeof source}`);
  const fresh = make() as Iterator<Batch<T>> | AsyncIterator<Batch<T>>;
  const iterator = (fresh as unknown) === source ? (cursor.iterator ??= fresh) : fresh;
  return isAsync ? asyncBatches(iterator as AsyncIterator<Batch<T>>, limit) : syncBatches(iterator as Iterator<Batch<T>>, limit);
}

function* syncBatches<T>(iterator: Iterator<Batch<T>>, limit: number): Generator<Batch<T>> {
  for (let n = 0; n < limit; n++) {
    const next = iterator.next();
    if (next.done) return;
    yield next.value;
  }
}

async function* asyncBatches<T>(iterator: AsyncIterator<Batch<T>>, limit: number): AsyncGenerator<Batch<T>> {
  for (let n = 0; n < limit; n++) {
    const next = await iterator.next();
    if (next.done) return;
    yield next.value;
  }
}
