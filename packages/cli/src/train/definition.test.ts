import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { input, model as modelOf } from '@onnxpipe/graph-builder';
import { tempDir } from '../testing/xor-model.js';
import { trainingData } from './data-source.js';
import { loadDefinition } from './definition.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

async function module(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

// Definitions that load a real model run in a child process (commands/train.test.ts): under vitest, a
// natively imported module gets its own copy of @onnxpipe/graph-builder.
describe('loadDefinition', () => {
  it.each([
    ['nothing.mjs', "export const loss = 'mean_squared_error';\n", /^definition '.*nothing\.mjs' must export `model`: a layer output .* it exports nothing$/],
    ['number.mjs', 'export const model = 42;\n', /^definition '.*number\.mjs' must export `model`: .* it exports number$/],
    ['object.mjs', 'export const model = { layers: [] };\n', /it exports Object \(is @onnxpipe\/graph-builder installed twice\?\)$/],
    ['syntax.mjs', 'export const = ;\n', /^cannot load definition '.*syntax\.mjs': /],
    ['throws.mjs', "throw new Error('boom');\n", /^cannot load definition '.*throws\.mjs': boom$/],
  ])('refuses %s', async (name, text, message) => {
    await expect(loadDefinition(await module(name, text))).rejects.toThrow(message);
  });

  it('refuses a missing file', async () => {
    await expect(loadDefinition(join(dir, 'none.ts'))).rejects.toThrow(/^cannot read definition '.*none\.ts': ENOENT/);
  });
});

describe('trainingData', () => {
  const model = input('x', { shape: [null, 1] }).dense(1);
  const batch = [{ x: [[0]] }, [[1]]] as const;
  const options = { batchSize: 2, seed: 0 };

  it('calls a function export once per epoch, so generators start over', async () => {
    function* data() {
      yield batch;
    }
    const source = (await trainingData(model, data, options)) as Iterable<unknown>;
    expect([...source]).toEqual([batch]);
    expect([...source]).toEqual([batch]);
  });

  it('passes an iterable export through', async () => {
    const data = [batch];
    expect(await trainingData(model, data, options)).toBe(data);
  });

  it('reads --data instead of the export', async () => {
    const file = await module('d.csv', 'x,target\n1,0\n');
    const source = (await trainingData(model, [batch], { ...options, file })) as Iterable<unknown>;
    expect([...source]).toEqual([[{ x: [[1]] }, [[0]]]]);
  });

  it.each([
    [undefined, /^no training data: pass --data file\.csv\|file\.jsonl, or export `data` from the definition$/],
    [42, /^the definition exports `data` that is neither an iterable of \[inputs, target\] batches nor a function returning one$/],
  ])('refuses data %j', async (data, message) => {
    await expect(trainingData(model, data, options)).rejects.toThrow(message);
  });

  it('refuses --data for a model with several outputs', async () => {
    const x = input('x', { shape: [null, 1] });
    await expect(trainingData(modelOf({ a: x.dense(1), b: x.dense(2) }), undefined, { ...options, file: 'x.csv' })).rejects.toThrow(
      /^--data has one target per row, but the model has 2 outputs; export `data` from the definition instead$/,
    );
  });

  it('refuses --data for inputs without fixed example shapes', async () => {
    const unbatched = input('s', { shape: [2, 3] }).dense(1);
    await expect(trainingData(unbatched, undefined, { ...options, file: 'x.csv' })).rejects.toThrow(
      /^input 's' has shape \[2, 3\]; --data needs a batch dimension first and fixed ones after it$/,
    );
  });
});
