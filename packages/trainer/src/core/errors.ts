import type { ModelState } from '@onnxpipe/graph-builder';

/** A batch that does not fit the model; nothing of it was applied. */
export class BatchError extends Error {
  override readonly name = 'BatchError';
  constructor(
    message: string,
    /** Parameters after every batch before the bad one. */
    readonly state: ModelState,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The loss became NaN or infinite; `state` holds the last parameters known to give a finite
 * loss (with several steps per run, the start of the failing run or of the one before).
 */
export class NonFiniteLossError extends Error {
  override readonly name = 'NonFiniteLossError';
  constructor(
    message: string,
    readonly state: ModelState,
  ) {
    super(message);
  }
}

/** The requested execution provider is not in this onnxruntime build. */
export class DeviceError extends Error {
  override readonly name = 'DeviceError';
}
