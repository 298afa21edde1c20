/**
 * What onnxpipe's trainer chooses when a run leaves steps per run and threads to it, for the labels
 * of the benchmarks' headline rows. The same rule as the trainer's (training-run.ts, session.ts):
 * steps per run from the bytes of the first batch, at most the run's iterations; intra-op threads
 * from the FLOPs of one step of that train-step model, on the cores this process may use.
 */
import { availableParallelism } from 'node:os';
import { exportTrainStep, type ModelLike, type TrainStepOptions } from '@onnxpipe/graph-builder';
import { chooseThreads } from '@onnxpipe/runtime';
import { chooseStepsPerRun } from '@onnxpipe/trainer';

export interface TrainerDefaults {
  readonly stepsPerRun: number;
  readonly threads: number;
}

export interface BatchSize {
  /** Bytes of one batch's data inputs and targets, as the trainer holds them. */
  readonly bytes: number;
  readonly rows: number;
}

export function trainerDefaults(model: ModelLike, options: Omit<TrainStepOptions, 'stepsPerRun' | 'predictions'>, batch: BatchSize, iterations: number, cores = availableParallelism()): TrainerDefaults {
  const stepsPerRun = Math.min(chooseStepsPerRun(batch.bytes), iterations);
  // no metric reads the predictions in the benchmarks, so the trainer exports the step without them
  const { cost } = exportTrainStep(model, { ...options, stepsPerRun, predictions: false });
  return { stepsPerRun, threads: chooseThreads(cost.fixed + batch.rows * cost.perRow, cores) };
}

export const threadsLabel = (n: number): string => `${n} thread${n === 1 ? '' : 's'}`;

/** The headline row's label: what the trainer chose. */
export const defaultsLabel = (d: TrainerDefaults): string => `trainer defaults (K=${d.stepsPerRun}, ${threadsLabel(d.threads)})`;
