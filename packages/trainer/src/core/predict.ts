import { exportInference, Model, type ModelLike, type ModelState, type SymbolicTensor } from '@onnxpipe/graph-builder';
import type { LoadModel, OutputTensor, TensorLike } from '@onnxpipe/runtime';

export type Predict = {
  (model: SymbolicTensor, state: ModelState, inputs: Record<string, TensorLike>): Promise<OutputTensor>;
  (model: Model, state: ModelState, inputs: Record<string, TensorLike>): Promise<Record<string, OutputTensor>>;
};

/** Run the inference model once: one output tensor for a single-output model, a record for a Model. */
export function createPredict(loadModel: LoadModel): Predict {
  return (async (model: ModelLike, state: ModelState, inputs: Record<string, TensorLike>) => {
    const loaded = await loadModel(exportInference(model, state));
    try {
      const outputs = await loaded.predict(inputs);
      return model instanceof Model ? outputs : Object.values(outputs)[0]!;
    } finally {
      await loaded.close();
    }
  }) as Predict;
}
