import type { ModelLike } from '@onnxpipe/graph-builder';
import { CliError } from '../errors.js';
import { shuffledBatches } from './batches.js';
import { readDataFile } from './data-file.js';
import { inputLayout } from './examples.js';

export interface DataOptions {
  /** --data: a .csv or .jsonl file. */
  file?: string;
  batchSize: number;
  seed: number;
}

/**
 * The training data: --data read into shuffled batches, else the definition's `data` export. A function
 * export is called once per epoch, so generators start over every epoch.
 */
export async function trainingData(model: ModelLike, exported: unknown, options: DataOptions): Promise<Iterable<unknown> | AsyncIterable<unknown>> {
  if (options.file !== undefined) {
    const layout = inputLayout(model);
    return shuffledBatches(await readDataFile(options.file, layout), layout, options.batchSize, options.seed);
  }
  if (typeof exported === 'function') {
    return { [Symbol.iterator]: () => (exported as () => Iterable<unknown>)()[Symbol.iterator]() };
  }
  const iterable = exported as Partial<Iterable<unknown> & AsyncIterable<unknown>> | null | undefined;
  if (typeof iterable?.[Symbol.iterator] === 'function' || typeof iterable?.[Symbol.asyncIterator] === 'function') {
    return exported as Iterable<unknown>;
  }
  if (exported !== undefined) throw new CliError('the definition exports `data` that is neither an iterable of [inputs, target] batches nor a function returning one');
  throw new CliError('no training data: pass --data file.csv|file.jsonl, or export `data` from the definition');
}
