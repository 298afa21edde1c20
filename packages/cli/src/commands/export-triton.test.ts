import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '@onnxpipe/runtime';
import { affineModel, float16Model, scaleModel } from '../testing/handmade-models.js';
import { runCli } from '../testing/run-cli.js';
import { validateTritonConfig } from '../testing/triton-config.js';
import { tempDir, writeXorModel } from '../testing/xor-model.js';

let dir: string;
let model: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  model = (await writeXorModel(dir)).path;
});
afterAll(() => cleanup());

/** `<repo>/<name>/config.pbtxt`, checked as Triton would load it for the model in `<repo>/<name>/1/model.onnx`. */
async function config(repo: string, name: string) {
  const model = await loadModel(join(repo, name, '1', 'model.onnx'));
  await model.close();
  return validateTritonConfig(await readFile(join(repo, name, 'config.pbtxt'), 'utf8'), model);
}

async function exported(file: string, bytes: Uint8Array, flags: string[] = []) {
  const path = join(dir, file);
  await writeFile(path, bytes);
  const repo = join(dir, `repo-${file}`);
  const { code, stderr } = await runCli(['export-triton', path, '--out', repo, ...flags]);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  return config(repo, file.replace(/\.onnx$/, ''));
}

describe('onnxpipe export-triton', () => {
  it('writes <name>/config.pbtxt and <name>/1/model.onnx, batching by default', async () => {
    const repo = join(dir, 'repo');
    const { code, stdout, stderr } = await runCli(['export-triton', model, '--out', repo]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^wrote .*repo\/xor\/config\.pbtxt \(max_batch_size 64\) and .*repo\/xor\/1\/model\.onnx\n$/);
    expect(await config(repo, 'xor')).toEqual({
      name: 'xor',
      platform: 'onnxruntime_onnx',
      max_batch_size: 64,
      input: [
        { name: 'x1', data_type: 'TYPE_FP32', dims: [1] },
        { name: 'x2', data_type: 'TYPE_FP32', dims: [1] },
      ],
      output: [{ name: 'dense_1', data_type: 'TYPE_FP32', dims: [1] }],
      dynamic_batching: {},
    });
    expect(await readFile(join(repo, 'xor', '1', 'model.onnx'))).toEqual(await readFile(model));
  });

  it('takes --name and --max-batch-size', async () => {
    const repo = join(dir, 'named');
    expect((await runCli(['export-triton', model, '--out', repo, '--name', 'xor-v2', '--max-batch-size', '0'])).code).toBe(0);
    const c = await config(repo, 'xor-v2');
    expect(c).toMatchObject({ name: 'xor-v2', max_batch_size: 0, input: [{ name: 'x1', dims: [-1, 1] }, { name: 'x2', dims: [-1, 1] }] });
    expect(c).not.toHaveProperty('dynamic_batching');
  });

  it('writes a valid config for a model with two outputs', async () => {
    expect(await exported('affine.onnx', affineModel())).toEqual({
      name: 'affine',
      platform: 'onnxruntime_onnx',
      max_batch_size: 64,
      input: [
        { name: 'a', data_type: 'TYPE_FP32', dims: [2] },
        { name: 'features', data_type: 'TYPE_FP32', dims: [3] },
      ],
      output: [
        { name: 'y', data_type: 'TYPE_FP32', dims: [2] },
        { name: 'relu', data_type: 'TYPE_FP32', dims: [2] },
      ],
      dynamic_batching: {},
    });
  });

  it('writes [batch] float16 tensors as dims [ 1 ] reshaped to a scalar when batching', async () => {
    const c = await exported('half.onnx', float16Model());
    expect(c.max_batch_size).toBe(64);
    expect(c.input).toEqual([
      { name: 'h', data_type: 'TYPE_FP16', dims: [1], reshape: { shape: [] } },
      { name: 'f', data_type: 'TYPE_FP32', dims: [1], reshape: { shape: [] } },
    ]);
    expect(c.output).toHaveLength(3);
  });

  it('writes a model with [batch] and scalar tensors without batching, scalars as dims [ 1 ]', async () => {
    expect(await exported('scale.onnx', scaleModel())).toEqual({
      name: 'scale',
      platform: 'onnxruntime_onnx',
      max_batch_size: 0,
      input: [
        { name: 'x', data_type: 'TYPE_FP32', dims: [-1] },
        { name: 'scale', data_type: 'TYPE_FP32', dims: [1] },
      ],
      output: [
        { name: 'y', data_type: 'TYPE_FP32', dims: [-1] },
        { name: 'total', data_type: 'TYPE_FP32', dims: [1] },
      ],
    });
  });

  it('refuses to overwrite a model directory unless --force', async () => {
    const repo = join(dir, 'existing');
    await mkdir(join(repo, 'xor', '1'), { recursive: true });
    await writeFile(join(repo, 'xor', 'stale.txt'), 'old');
    const refused = await runCli(['export-triton', model, '--out', repo]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^onnxpipe: '.*existing\/xor' already exists; pass --force to replace it\n$/);
    expect((await runCli(['export-triton', model, '--out', repo, '--force'])).code).toBe(0);
    await expect(readFile(join(repo, 'xor', 'stale.txt'))).rejects.toThrow(/ENOENT/);
    expect((await config(repo, 'xor')).name).toBe('xor');
  });

  it.each([
    [['--name', 'bad/name'], 2, /^onnxpipe: invalid model name 'bad\/name'; use letters, digits, '_', '\.' and '-' \(pass --name\)/],
    [['--max-batch-size', '-1'], 2, /^onnxpipe: --max-batch-size must be a non-negative integer, got -1/],
    [['--max-batch-size', 'many'], 2, /^onnxpipe: --max-batch-size must be a non-negative integer, got NaN/],
  ])('fails on %j', async (flags, exit, message) => {
    const { code, stderr } = await runCli(['export-triton', model, '--out', join(dir, 'bad'), ...flags]);
    expect(code).toBe(exit);
    expect(stderr).toMatch(message);
  });

  it('fails on a missing model file and without --out', async () => {
    const missing = await runCli(['export-triton', join(dir, 'none.onnx'), '--out', join(dir, 'r')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^onnxpipe: cannot read model file '.*none\.onnx': ENOENT/);
    const noOut = await runCli(['export-triton', model]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/^onnxpipe: Missing required argument: out/);
  });
});
