export { ModelLoadError, RuntimeInputError } from './errors.js';
export type { Dtype, NumericArray } from './dtypes.js';
export type {
  Dim,
  LoadModel,
  LoadOptions,
  Model,
  ModelSource,
  NestedNumbers,
  OutputTensor,
  TensorData,
  TensorInfo,
  TensorLike,
} from './types.js';
export { checkInputNames, prepareInputs, sameNames, type PreparedTensor } from './inputs.js';
export { TypedInputs } from './typed-inputs.js';
export { nest } from './nested.js';
export { outputTensor } from './outputs.js';
export { ortBackend, type OrtBackend, type OrtModule } from './backend.js';
export { createLoadModel } from './load.js';
export { chooseThreads, threadOptions, MULTI_THREAD_FLOPS } from './threads.js';
export type { ReadFile } from './source.js';
