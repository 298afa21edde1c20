import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { splitRows, stackRows } from './batch.js';
import { prepareInputs } from './inputs.js';
import type { ModelInfo } from './metadata.js';
import { toOutputTensor } from './outputs.js';
import type { Sessions } from './sessions.js';
import { TypedInputs } from './typed-inputs.js';
import type { Model, OutputTensor } from './types.js';

export type TensorConstructor = typeof Tensor;

/** A `Model` over open onnxruntime sessions; inputs are validated against `info` before every run. */
export function createModel(info: Omit<ModelInfo, 'flopsPerRow'>, sessions: Sessions, Tensor: TensorConstructor): Model {
  let closing: Promise<void> | undefined;
  /** Predictions running, and what `close` waits on to see them finish. */
  let running = 0;
  let finished: (() => void) | undefined;
  const typed = new TypedInputs(info.inputs);
  const predict = async (inputs: Record<string, unknown>): Promise<Record<string, OutputTensor>> => {
    if (closing) throw new Error('model is closed');
    const prepared = typed.fromRecord(inputs) ?? prepareInputs(info.inputs, inputs);
    const feeds: Record<string, Tensor> = {};
    for (const { name } of info.inputs) {
      const t = prepared[name]!;
      feeds[name] = new Tensor(t.dtype, t.data, t.dims);
    }
    const session = sessions.forRows(info.inputs.length > 0 ? (prepared[info.inputs[0]!.name]!.dims[0] ?? 1) : 1);
    running++;
    let results: InferenceSession.ReturnType;
    try {
      results = await ('run' in session ? session.run(feeds) : session.then((opened) => opened.run(feeds)));
    } finally {
      if (--running === 0) finished?.();
    }
    const outputs: Record<string, OutputTensor> = {};
    for (const o of info.outputs) outputs[o.name] = toOutputTensor(o, results[o.name] as Tensor);
    return outputs;
  };
  const close = () =>
    (closing ??= (running === 0 ? Promise.resolve() : new Promise<void>((resolve) => (finished = resolve))).then(() => sessions.release()));
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
