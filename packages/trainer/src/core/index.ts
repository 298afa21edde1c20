export { Trainer, DEFAULT_STEPS_PER_RUN, type TrainerOptions, type RunOptions, type TrainerEnvironment, type TrainerPlugin } from './trainer.js';
export { earlyStop, type EarlyStopOptions } from './early-stop.js';
export { progressLog, type ProgressOutput, type ProgressOptions } from './progress.js';
export { metrics, type MetricFn, type MetricName } from './metrics.js';
export { BatchError, NonFiniteLossError, DeviceError } from './errors.js';
export { checkpointToJSON, checkpointFromJSON, isCheckpoint, type Checkpoint } from './checkpoint-format.js';
export { createPredict, type Predict } from './predict.js';
export type { OrtModule, Device, EventName, Handler, HandlerResult, LoopState, Batch, Data } from './types.js';
