import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModel } from '@onnxpipe/runtime';
import { CliError } from '../errors.js';
import { batchable, tritonConfig } from './config.js';

export interface ExportOptions {
  /** The model repository directory (created if missing). */
  out: string;
  name: string;
  /** Default: 64 when the model can be batched, else 0. */
  maxBatchSize?: number;
  /** Replace an existing `<out>/<name>` directory. */
  force?: boolean;
}

export const DEFAULT_MAX_BATCH_SIZE = 64;

const exists = (path: string) => stat(path).then(() => true, () => false);

/** Writes `<out>/<name>/config.pbtxt` and `<out>/<name>/1/model.onnx`; returns the model directory. */
export async function exportTriton(modelPath: string, options: ExportOptions): Promise<{ dir: string; maxBatchSize: number }> {
  const model = await loadModel(modelPath);
  const { inputs, outputs } = model;
  await model.close();
  const maxBatchSize = options.maxBatchSize ?? (batchable(inputs, outputs) ? DEFAULT_MAX_BATCH_SIZE : 0);
  const config = tritonConfig(inputs, outputs, { name: options.name, maxBatchSize });
  const dir = join(options.out, options.name);
  if (await exists(dir)) {
    if (!options.force) throw new CliError(`'${dir}' already exists; pass --force to replace it`);
    await rm(dir, { recursive: true });
  }
  await mkdir(join(dir, '1'), { recursive: true });
  await writeFile(join(dir, '1', 'model.onnx'), await readFile(modelPath));
  await writeFile(join(dir, 'config.pbtxt'), config);
  return { dir, maxBatchSize };
}
