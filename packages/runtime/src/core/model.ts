import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { splitRows, stackRows } from './batch.js';
import { prepareInputs } from './inputs.js';
import type { ModelInfo } from './metadata.js';
import { toOutputTensor } from './outputs.js';
import type { Model, OutputTensor } from './types.js';

export type TensorConstructor = typeof Tensor;

/** A `Model` over an open onnxruntime session; inputs are validated against `info` before every run. */
export function createModel(info: ModelInfo, session: InferenceSession, Tensor: TensorConstructor): Model {
  let closing: Promise<void> | undefined;
  const running = new Set<Promise<unknown>>();
  const predict = async (inputs: Record<string, unknown>): Promise<Record<string, OutputTensor>> => {
    if (closing) throw new Error('model is closed');
    const prepared = prepareInputs(info.inputs, inputs);
    const feeds = Object.fromEntries(
      Object.entries(prepared).map(([name, t]) => [name, new Tensor(t.dtype, t.data, t.dims)]),
    );
    const run = session.run(feeds);
    running.add(run);
    const results = await run.finally(() => running.delete(run));
    return Object.fromEntries(info.outputs.map((o) => [o.name, toOutputTensor(o, results[o.name] as Tensor)]));
  };
  const close = () => (closing ??= Promise.allSettled(running).then(() => session.release()));
  return {
    inputs: info.inputs,
    outputs: info.outputs,
    opset: info.opset,
    irVersion: info.irVersion,
    producer: info.producer,
    predict,
    predictBatch: async (rows) => splitRows(Object.values(await predict(stackRows(info.inputs, rows))), rows.length),
    close,
    release: close,
  };
}
