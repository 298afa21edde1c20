import type { Tensor } from 'onnxruntime-common';
import { splitRows, stackRows } from './batch.js';
import { prepareInputs } from './inputs.js';
import type { ModelInfo } from './metadata.js';
import { toOutputTensor } from './outputs.js';
import type { Sessions } from './sessions.js';
import type { Model, OutputTensor } from './types.js';

export type TensorConstructor = typeof Tensor;

/** A `Model` over open onnxruntime sessions; inputs are validated against `info` before every run. */
export function createModel(info: Omit<ModelInfo, 'flopsPerRow'>, sessions: Sessions, Tensor: TensorConstructor): Model {
  let closing: Promise<void> | undefined;
  const running = new Set<Promise<unknown>>();
  const predict = async (inputs: Record<string, unknown>): Promise<Record<string, OutputTensor>> => {
    if (closing) throw new Error('model is closed');
    const prepared = prepareInputs(info.inputs, inputs);
    const feeds = Object.fromEntries(
      Object.entries(prepared).map(([name, t]) => [name, new Tensor(t.dtype, t.data, t.dims)]),
    );
    const rows = Object.values(prepared)[0]?.dims[0] ?? 1;
    const run = sessions.forRows(rows).then((session) => session.run(feeds));
    running.add(run);
    const results = await run.finally(() => running.delete(run));
    return Object.fromEntries(info.outputs.map((o) => [o.name, toOutputTensor(o, results[o.name] as Tensor)]));
  };
  const close = () => (closing ??= Promise.allSettled(running).then(() => sessions.release()));
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
