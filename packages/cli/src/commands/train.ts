import { writeFile } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import { exportInference, lossNames, type LossName } from '@onnxpipe/graph-builder';
import { checkpoint, loadCheckpoint, metrics, trainer, type Data, type Device, type MetricName } from '@onnxpipe/trainer';
import { CliError, UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { trainingData } from '../train/data-source.js';
import { loadDefinition } from '../train/definition.js';
import { chooseLoss, defaultMetrics } from '../train/loss.js';
import { chooseOptimizer, OPTIMIZERS, type OptimizerChoice } from '../train/optimizer.js';

interface TrainArgs {
  definition: string;
  data?: string;
  out: string;
  epochs: number;
  iterations?: number;
  'batch-size': number;
  lr?: number;
  optimizer?: OptimizerChoice;
  loss?: LossName;
  metric?: MetricName[];
  device: Device;
  seed: number;
  checkpoint?: string;
  resume?: string;
  log?: number;
}

const DEVICES: readonly Device[] = ['cpu', 'cuda', 'webgpu'];
async function resumeFrom(path: string) {
  try {
    return await loadCheckpoint(path);
  } catch (error) {
    throw new CliError(`cannot resume from '${path}': ${(error as Error).message}`);
  }
}

function checkNumbers(args: TrainArgs): void {
  const integer = (flag: string, value: number | undefined, min: number) => {
    if (value !== undefined && !(Number.isInteger(value) && value >= min)) {
      throw new UsageError(`--${flag} must be an integer ≥ ${min}, got ${String(value)}`);
    }
  };
  integer('epochs', args.epochs, 1);
  integer('iterations', args.iterations, 1);
  integer('batch-size', args['batch-size'], 1);
  integer('seed', args.seed, 0);
  integer('log', args.log, 0);
  if (args.lr !== undefined && !(Number.isFinite(args.lr) && args.lr > 0)) throw new UsageError(`--lr must be a positive number, got ${String(args.lr)}`);
}

export const trainCommand = (io: CliIO): CommandModule<object, TrainArgs> => ({
  command: 'train <definition>',
  describe: 'Train a model defined in a module (.js/.mjs, or .ts with tsx) and write it as ONNX',
  builder: (y: Argv) =>
    y
      .positional('definition', { type: 'string', demandOption: true, describe: 'Module exporting model, loss, and optionally optimizer and data' })
      .option('data', { type: 'string', requiresArg: true, describe: 'Training data: .csv (header: input columns and target) or .jsonl' })
      .option('out', { type: 'string', demandOption: true, requiresArg: true, describe: 'Where to write the trained inference model (.onnx)' })
      .option('epochs', { type: 'number', default: 10, requiresArg: true, describe: 'Passes over the data' })
      .option('iterations', { type: 'number', requiresArg: true, describe: 'Batches per epoch (default: all of the data)' })
      .option('batch-size', { type: 'number', default: 32, requiresArg: true, describe: 'Examples per batch for --data' })
      .option('lr', { type: 'number', requiresArg: true, describe: 'Learning rate (default: the optimizer’s)' })
      .option('optimizer', { type: 'string', choices: Object.keys(OPTIMIZERS) as OptimizerChoice[], describe: 'Default: the definition’s, else adam' })
      .option('loss', { type: 'string', choices: lossNames, describe: 'Default: the definition’s' })
      .option('metric', { type: 'string', array: true, choices: Object.keys(metrics) as MetricName[], describe: 'Default: accuracy for cross-entropy losses' })
      .option('device', { type: 'string', choices: DEVICES, default: 'cpu' as Device })
      .option('seed', { type: 'number', default: 0, requiresArg: true, describe: 'Seeds initialisation and shuffling' })
      .option('checkpoint', { type: 'string', requiresArg: true, describe: 'Checkpoint file (JSON) written after every epoch' })
      .option('resume', { type: 'string', requiresArg: true, describe: 'Continue from a checkpoint file' })
      .option('log', { type: 'number', requiresArg: true, describe: 'Progress: 0 for none, N for a line every N iterations' })
      .check((args) => {
        checkNumbers(args as unknown as TrainArgs);
        return true;
      })
      .example('$0 train xor.model.ts --data xor.csv --epochs 200 --lr 0.05 --out xor.onnx', 'Train from a CSV file')
      .example('$0 train xor.model.mjs --out xor.onnx --checkpoint xor.ckpt.json', 'Train on the definition’s data export'),
  handler: async (args) => {
    const definition = await loadDefinition(args.definition);
    const { model } = definition;
    const loss = chooseLoss(args.loss, definition.loss);
    const optimizer = chooseOptimizer(args.optimizer, definition.optimizer, args.lr);
    const data = await trainingData(model, definition.data, { ...(args.data === undefined ? {} : { file: args.data }), batchSize: args['batch-size'], seed: args.seed });
    const run = trainer(model, loss, optimizer, { seed: args.seed, device: args.device, ...(args.log === undefined ? {} : { log: args.log }) });
    for (const metric of args.metric ?? defaultMetrics(loss)) run.metric(metric);
    if (args.checkpoint !== undefined) run.handle(checkpoint({ path: args.checkpoint }));
    const init = args.resume === undefined ? {} : await resumeFrom(args.resume);
    const state = await run.run(data as Data, init, { epochs: args.epochs, ...(args.iterations === undefined ? {} : { iterations: args.iterations }) });
    await writeFile(args.out, exportInference(model, state));
    io.stdout(`wrote ${args.out}\n`);
  },
});
