/** Thrown by `loadModel` when the source cannot be read, is not a usable ONNX model, or onnxruntime rejects it. */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

/** Thrown by `predict`/`predictBatch` before running when the inputs do not fit the model. */
export class RuntimeInputError extends Error {
  override name = 'RuntimeInputError';
}
