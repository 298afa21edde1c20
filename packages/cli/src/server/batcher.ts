import { outputTensor, type Model, type NumericArray, type OutputTensor, type TensorData } from '@onnxpipe/runtime';
import { elementCount } from '@onnxpipe/graph-builder';

export type Predict = (tensors: Record<string, TensorData>) => Promise<Record<string, OutputTensor>>;

/** The symbolic name of the first dimension when every input and output shares it (a batch dimension). */
export function batchDimension(model: Model): string | undefined {
  const firsts = [...model.inputs, ...model.outputs].map((t) => t.shape?.[0]);
  const name = firsts[0];
  return typeof name === 'string' && name !== '?' && firsts.every((d) => d === name) ? name : undefined;
}

interface Job {
  tensors: Record<string, TensorData>;
  rows: number;
  elements: number;
  resolve: (outputs: Record<string, OutputTensor>) => void;
  reject: (error: unknown) => void;
}

type Data = TensorData['data'];

function concat(parts: readonly Data[]): Data {
  const first = parts[0]!;
  if (Array.isArray(first)) return (parts as readonly (readonly number[])[]).flat();
  const out = new (first.constructor as new (length: number) => NumericArray)(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts as readonly NumericArray[]) {
    (out as Float32Array).set(part as Float32Array, offset);
    offset += part.length;
  }
  return out;
}

/** Rows `start … start + rows` of a batched output, as an output tensor of its own. */
function sliceRows(tensor: OutputTensor, start: number, rows: number): OutputTensor {
  const rest = tensor.dims.slice(1);
  const size = elementCount(rest);
  return outputTensor(tensor.name, tensor.dtype, [rows, ...rest], tensor.data.subarray(start * size, (start + rows) * size) as NumericArray);
}

/**
 * Dynamic batching: requests that arrive in the same event-loop turn, with the same example shapes, run
 * as one onnxruntime call (rows stacked along the batch dimension, at most `maxElements` in all) and the
 * outputs are split back. A batch that fails runs again request by request, so each gets its own answer.
 * Models without a shared batch dimension run every request alone. Rows must not depend on each other.
 */
export function createBatcher(model: Model, maxElements: number): Predict {
  if (batchDimension(model) === undefined) return (tensors) => model.predict(tensors);
  let queue = new Map<string, Job[]>();
  const alone = (job: Job) => model.predict(job.tensors).then(job.resolve, job.reject);
  const runBatch = async (jobs: readonly Job[]) => {
    if (jobs.length === 1) return alone(jobs[0]!);
    const total = jobs.reduce((n, j) => n + j.rows, 0);
    const merged: Record<string, TensorData> = {};
    for (const { name } of model.inputs) {
      const dims = jobs[0]!.tensors[name]!.dims;
      merged[name] = { data: concat(jobs.map((j) => j.tensors[name]!.data)), dims: [total, ...dims.slice(1)] };
    }
    let outputs: Record<string, OutputTensor>;
    try {
      outputs = await model.predict(merged);
    } catch {
      return Promise.all(jobs.map(alone));
    }
    if (Object.values(outputs).some((o) => o.dims[0] !== total)) return Promise.all(jobs.map(alone));
    let start = 0;
    for (const job of jobs) {
      const mine: Record<string, OutputTensor> = {};
      for (const [name, tensor] of Object.entries(outputs)) mine[name] = sliceRows(tensor, start, job.rows);
      start += job.rows;
      job.resolve(mine);
    }
  };
  const launch = (jobs: Job[]) => void runBatch(jobs).catch((error: unknown) => jobs.forEach((j) => j.reject(error)));
  const flush = () => {
    const groups = queue;
    queue = new Map();
    for (const jobs of groups.values()) {
      let batch: Job[] = [];
      let elements = 0;
      for (const job of jobs) {
        if (batch.length > 0 && elements + job.elements > maxElements) {
          launch(batch);
          batch = [];
          elements = 0;
        }
        batch.push(job);
        elements += job.elements;
      }
      launch(batch);
    }
  };
  return (tensors) =>
    new Promise((resolve, reject) => {
      let rows: number | undefined;
      let key = '';
      let elements = 0;
      for (const { name } of model.inputs) {
        const t = tensors[name];
        if (t === undefined || t.dims.length === 0 || (rows !== undefined && t.dims[0] !== rows)) {
          model.predict(tensors).then(resolve, reject);
          return;
        }
        rows = t.dims[0]!;
        key += `${t.dims.slice(1).join(',')};`;
        elements += t.data.length;
      }
      const job: Job = { tensors, rows: rows!, elements, resolve, reject };
      if (queue.size === 0) setImmediate(flush);
      const jobs = queue.get(key);
      if (jobs) jobs.push(job);
      else queue.set(key, [job]);
    });
}
