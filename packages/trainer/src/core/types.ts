import type { ModelState } from '@onnxpipe/graph-builder';
import type { Checkpoint } from './checkpoint-format.js';

export type Device = 'cpu' | 'cuda' | 'webgpu';

export type EventName = 'started' | 'epochStarted' | 'iterationCompleted' | 'epochCompleted' | 'halted' | 'completed';

/** What a handler may return: keep going (undefined or 'continue'), end this epoch, or end the run. */
export type HandlerResult = void | 'continue' | 'halt_epoch' | 'halt_loop';

/** The loop's state as handlers see it (Axon.Loop.State). */
export interface LoopState {
  /** 0-based epoch number (progress lines and errors count from 1). */
  readonly epoch: number;
  readonly epochs: number;
  /** Iterations per epoch asked for (Infinity: until the data runs out). */
  readonly iterationsPerEpoch: number;
  /** Iteration within the epoch, 0-based, of the last completed step. */
  readonly iteration: number;
  /** Steps applied since the start of the run. */
  readonly step: number;
  /** Loss of the last step. */
  readonly loss: number;
  /** Running means over this epoch: 'loss' and each metric; validation_* after validation. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Set once a handler has restored an earlier state (`restore`): the epochs completed at that state. */
  readonly restoredEpoch: number | undefined;
  /** The current parameters (downloaded from the device if they live there). */
  readonly params: () => Promise<ModelState>;
  /** Optimizer state by `<param>.<slot>`, for checkpoints. */
  readonly optimizerState: () => Promise<ModelState>;
  /** The run's current state as a checkpoint: parameters, optimizer state, epochs completed and step. */
  readonly checkpoint: () => Promise<Checkpoint>;
  /** Make a checkpoint of this run (an earlier `checkpoint()`) the current state again; the epoch counter goes on. */
  readonly restore: (checkpoint: Checkpoint) => Promise<void>;
}

export type Handler = (state: LoopState) => HandlerResult | Promise<HandlerResult>;

/** A batch: named inputs and the target (or one target per output name for several outputs). */
export type Batch<T = unknown> = readonly [inputs: Readonly<Record<string, T>>, target: T];

export type Data<T = unknown> = Iterable<Batch<T>> | AsyncIterable<Batch<T>>;
