import { elementCount, seededRandom, type EvalModel, type ModelState } from '@onnxpipe/graph-builder';
import { checkInputNames, prepareInputs, RuntimeInputError, type NumericArray, type PreparedTensor, type TensorInfo, type TensorLike } from '@onnxpipe/runtime';
import { batchLayout, firstNonFinite, targetFeeds, type BatchLayout } from './batches.js';
import type { RunInit } from './training-run.js';
import type { Batch, Data } from './types.js';

/** Whole arrays by input name: nested arrays (one row per example), `{ data, dims }` or onnxruntime tensors. */
export type FitInputs = Readonly<Record<string, TensorLike>>;
/** The targets: one array, or a record by output name for a model with several outputs. */
export type FitTargets = TensorLike | Readonly<Record<string, TensorLike>>;

export interface FitOptions {
  /** Rows per batch. Default 32. */
  readonly batchSize?: number;
  /** Default 1. */
  readonly epochs?: number;
  /** Visit the training rows in a new seeded order every epoch. Default true. */
  readonly shuffle?: boolean;
  /** Seed of the shuffling. Default: the trainer's `seed`. */
  readonly seed?: number;
  /** Hold out this fraction of the rows for validation: the last ones, taken before shuffling (as Keras does). */
  readonly validationSplit?: number;
  /** Validation arrays `[x, y]`, instead of `validationSplit`. */
  readonly validationData?: readonly [x: FitInputs, y: FitTargets];
  /** As for `run`. Default: 128, or the batches per epoch if fewer. */
  readonly stepsPerRun?: number;
  /** Drop the last batch of an epoch when it has fewer than `batchSize` rows. Default false (kept). */
  readonly dropLast?: boolean;
  /** Where to start, as for `run`: `{}` (fresh parameters from the trainer's seed, the default), a ModelState or a checkpoint. */
  readonly init?: RunInit;
}

export interface FitResult {
  readonly state: ModelState;
  /** One value per epoch for `loss`, each metric and, with validation, `validation_loss` and `validation_<metric>` (Keras `History.history`). */
  readonly history: Readonly<Record<string, number[]>>;
}

/** Arrays converted to the graph's dtypes, by graph input name, all with `rows` rows. */
interface Table {
  readonly tensors: Readonly<Record<string, PreparedTensor>>;
  readonly rows: number;
}

interface FitData {
  readonly train: Data;
  readonly validation: Data | undefined;
  readonly iterations: number;
}

/**
 * The batches `fit` trains on: every epoch, the training rows in order or, with `shuffle`, in
 * the order of a Fisher–Yates shuffle of 0…n−1 drawn from `seededRandom(seed)` (one generator
 * for the whole fit, so each epoch gets the next permutation); then cut into batches of
 * `batchSize` rows.
 */
export function fitData(sig: EvalModel['signature'], x: FitInputs, y: FitTargets, options: FitOptions, defaultSeed: number): FitData {
  const layout = batchLayout(sig);
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`fit: batchSize must be a positive integer, got ${JSON.stringify(options.batchSize)}`);
  const split = options.validationSplit;
  if (split !== undefined && options.validationData !== undefined) throw new Error('fit: give validationSplit or validationData, not both');
  let train = toTable(layout, x, y, 'x', 'y');
  let validation: Table | undefined;
  if (split !== undefined) {
    if (typeof split !== 'number' || !(split > 0 && split < 1)) throw new Error(`fit: validationSplit must be a number between 0 and 1 (exclusive), got ${JSON.stringify(split)}`);
    const trainRows = Math.floor(train.rows * (1 - split));
    if (trainRows === 0 || trainRows === train.rows) {
      throw new Error(`fit: validationSplit ${split} of ${train.rows} rows leaves ${trainRows} for training and ${train.rows - trainRows} for validation; each needs at least one`);
    }
    [train, validation] = [rowRange(train, 0, trainRows), rowRange(train, trainRows, train.rows)];
  }
  if (options.validationData !== undefined) {
    if (!Array.isArray(options.validationData) || options.validationData.length !== 2) throw new Error('fit: validationData must be a pair [x, y]');
    validation = toTable(layout, options.validationData[0], options.validationData[1], 'validationData x', 'validationData y');
  }
  const dropLast = options.dropLast ?? false;
  const iterations = dropLast ? Math.floor(train.rows / batchSize) : Math.ceil(train.rows / batchSize);
  if (iterations === 0) throw new Error(`fit: dropLast leaves no batch: ${train.rows} training rows, batchSize ${batchSize}`);
  const shuffle = options.shuffle ?? true;
  const random = seededRandom(options.seed ?? defaultSeed);
  const table = train;
  return {
    train: { [Symbol.iterator]: () => batches(layout, table, batchSize, iterations, shuffle ? permutation(table.rows, random) : undefined) },
    validation: validation && [...batches(layout, validation, batchSize, Math.ceil(validation.rows / batchSize), undefined)],
    iterations,
  };
}

/** A Fisher–Yates shuffle of 0…n−1. */
function permutation(n: number, random: () => number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

function* batches(layout: BatchLayout, table: Table, batchSize: number, count: number, order: Int32Array | undefined): Generator<Batch> {
  const outputs = Object.keys(layout.targets);
  for (let k = 0; k < count; k++) {
    const from = k * batchSize;
    const to = Math.min(from + batchSize, table.rows);
    const part = (name: string) => (order ? gather(table.tensors[name]!, order.subarray(from, to)) : rows(table.tensors[name]!, from, to));
    const inputs = Object.fromEntries(layout.inputs.map((i) => [i.name, part(i.name)]));
    const target = outputs.length === 1 ? part(layout.targets[outputs[0]!]!.name) : Object.fromEntries(outputs.map((o) => [o, part(layout.targets[o]!.name)]));
    yield [inputs, target];
  }
}

const rowWidth = (t: PreparedTensor) => elementCount(t.dims.slice(1));

/** Rows `from` to `to` (exclusive), sharing the data. */
function rows(t: PreparedTensor, from: number, to: number): PreparedTensor {
  const width = rowWidth(t);
  return { dtype: t.dtype, data: t.data.subarray(from * width, to * width) as NumericArray, dims: [to - from, ...t.dims.slice(1)] };
}

/** The rows listed in `order`, copied. */
function gather(t: PreparedTensor, order: Int32Array): PreparedTensor {
  const width = rowWidth(t);
  const data = new (t.data.constructor as new (n: number) => NumericArray)(order.length * width);
  order.forEach((row, i) => (data as Float32Array).set((t.data as Float32Array).subarray(row * width, (row + 1) * width), i * width));
  return { dtype: t.dtype, data, dims: [order.length, ...t.dims.slice(1)] };
}

function rowRange(table: Table, from: number, to: number): Table {
  return { tensors: Object.fromEntries(Object.entries(table.tensors).map(([name, t]) => [name, rows(t, from, to)])), rows: to - from };
}

/**
 * Check and convert `x` and `y`. Each array gets its own row dimension here, so that arrays of
 * different lengths are reported by name and row count rather than as a shape mismatch.
 */
function toTable(layout: BatchLayout, x: FitInputs, y: FitTargets, xName: string, yName: string): Table {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) {
    throw new Error(`fit: ${xName} must be a record of input name to array, got ${Array.isArray(x) ? 'an array' : x === null ? 'null' : typeof x}`);
  }
  checkInputNames(layout.inputs, Object.keys(x), `fit: ${xName}: `);
  const targets = targetFeeds(layout, y, `fit: ${yName}`);
  const outputs = Object.keys(layout.targets);
  const labels = new Map<string, string>([
    ...layout.inputs.map((i) => [i.name, `${xName}.${i.name}`] as const),
    ...outputs.map((o) => [layout.targets[o]!.name, outputs.length === 1 ? yName : `${yName}.${o}`] as const),
  ]);
  const infos: TensorInfo[] = [...layout.inputs, ...Object.values(layout.targets)].map((info) => ({ ...info, name: labels.get(info.name)!, shape: ['?', ...info.shape!.slice(1)] }));
  const values: Record<string, unknown> = { ...x, ...targets };
  let prepared: Record<string, PreparedTensor>;
  try {
    prepared = prepareInputs(infos, Object.fromEntries([...labels].map(([name, label]) => [label, values[name]])));
  } catch (error) {
    if (error instanceof RuntimeInputError) throw new RuntimeInputError(`fit: ${error.message}`, { cause: error });
    throw error;
  }
  const [firstLabel, first] = Object.entries(prepared)[0]!;
  for (const [label, t] of Object.entries(prepared)) {
    if (t.dims[0] !== first.dims[0]) throw new Error(`fit: ${label} has ${t.dims[0]} rows but ${firstLabel} has ${first.dims[0]}; every input and the target need one row per example`);
    const at = firstNonFinite(t);
    if (at >= 0) throw new Error(`fit: ${label} has ${t.data[at]} in row ${Math.floor(at / rowWidth(t))} (counting from 0); expected finite numbers`);
  }
  if (first.dims[0] === 0) throw new Error(`fit: ${xName} has no rows`);
  return { tensors: Object.fromEntries([...labels].map(([name, label]) => [name, prepared[label]!])), rows: first.dims[0]! };
}

