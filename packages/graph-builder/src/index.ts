export { input, dense, concatenate, add, subtract, multiply, activation, dropout } from './model/layers.js';
export { conv, maxPool, avgPool, globalAvgPool, globalMaxPool, flatten, reshape } from './model/spatial.js';
export { batchNorm, layerNorm } from './model/norm.js';
export { embedding } from './model/embedding.js';
export type {
  InputOptions,
  DenseOptions,
  ConcatenateOptions,
  DropoutOptions,
  ConvOptions,
  PoolOptions,
  Padding,
  Channels,
  BatchNormOptions,
  LayerNormOptions,
  EmbeddingOptions,
  NameOption,
} from './model/options.js';
export { activationNames, type ActivationName } from './model/activations.js';
export type { InitializerName, InitializerSpec } from './model/initializers.js';
export { SymbolicTensor } from './model/symbolic.js';
export { Model, model, type ModelLike } from './model/model.js';
export { summary } from './model/summary.js';
export { initParams, checkState, stateToJSON, stateFromJSON, type ModelState, type TensorData, type TensorJSON, type InitOptions } from './state.js';
export { exportInference, exportCopy } from './export.js';
export { OPSET, IR_VERSION } from './onnx/versions.js';
export { exportTrainStep, exportEval, trainStepSignature } from './train.js';
export type { GraphCost } from './ir/cost.js';
export type { TrainStepOptions, TrainStepModel, TrainStepSignature, EvalModel, LossOptions, ParamSlot, ParamInput, StateSlot, TargetDType } from './train.js';
export { lossNames, type LossName, type LossSpec } from './losses.js';
export { sgd, adam, adamw, rmsprop, resolveOptimizer } from './optimizers/index.js';
export type { Optimizer, OptimizerName, SgdOptions, AdamOptions, AdamWOptions, RmspropOptions } from './optimizers/index.js';
export { compile, type CompiledModel } from './model/compile.js';
export { seededRandom } from './model/random.js';
export { elementCount } from './ir/element-count.js';
export { importOnnx, ImportedModel, IMPORT_OPSETS, type ImportOptions, type ImportResult } from './import/import.js';
