import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '@onnxpipe/runtime';
import { runCli } from '../testing/run-cli.js';
import { spawnCli } from '../testing/spawn-cli.js';
import { tempDir } from '../testing/xor-model.js';

const fixture = (name: string) => fileURLToPath(new URL(`../testing/fixtures/${name}`, import.meta.url));

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

async function xorOutputs(path: string): Promise<number[]> {
  const model = await loadModel(path);
  try {
    const out = await model.predict({ x1: [[0], [0], [1], [1]], x2: [[0], [1], [0], [1]] });
    return Array.from(out.dense_1!.data as Float32Array);
  } finally {
    await model.close();
  }
}

describe('onnxpipe train (child process)', () => {
  it('trains a .ts definition on a CSV file and writes a model that computes XOR', async () => {
    const out = join(dir, 'xor.onnx');
    const run = await spawnCli(['train', fixture('xor-definition.ts'), '--data', fixture('xor.csv'), '--batch-size', '4', '--epochs', '300', '--lr', '0.1', '--log', '0', '--out', out]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe(`wrote ${out}\n`);
    expect((await xorOutputs(out)).map(Math.round)).toEqual([0, 1, 1, 0]);
  });

  it('trains a .mjs definition on its data export, writes checkpoints and resumes from one', async () => {
    const first = join(dir, 'first.ckpt.json');
    const second = join(dir, 'second.ckpt.json');
    const out = join(dir, 'mjs.onnx');
    const a = await spawnCli(['train', fixture('xor-definition.mjs'), '--epochs', '3', '--checkpoint', first, '--out', out, '--log', '0']);
    expect(a).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(await readFile(first, 'utf8'))).toMatchObject({ format: 'onnxpipe-checkpoint', epoch: 3, step: 3 });
    const b = await spawnCli(['train', fixture('xor-definition.mjs'), '--epochs', '2', '--resume', first, '--checkpoint', second, '--out', out, '--log', '0']);
    expect(b).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(await readFile(second, 'utf8'))).toMatchObject({ epoch: 5, step: 5 });
    expect(await xorOutputs(out)).toHaveLength(4);
  });

  it('prints progress unless --log 0', async () => {
    const run = await spawnCli(['train', fixture('xor-definition.ts'), '--data', fixture('xor.jsonl'), '--epochs', '2', '--out', join(dir, 'p.onnx')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Epoch: 2\/2.*loss: \d/);
    expect(run.stdout).toMatch(/accuracy: /);
  });

  it('fails with one line naming the bad CSV line', async () => {
    const data = join(dir, 'bad.csv');
    await writeFile(data, 'x1,x2,target\n0,0,0\n0,zero,1\n');
    const run = await spawnCli(['train', fixture('xor-definition.ts'), '--data', data, '--out', join(dir, 'bad.onnx')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^onnxpipe: .*bad\.csv line 3, column 'x2': 'zero' is not a number\n$/);
  });
});

describe('onnxpipe train (usage)', () => {
  it.each([
    [['--epochs', '0'], /^onnxpipe: --epochs must be an integer ≥ 1, got 0/],
    [['--batch-size', '1.5'], /^onnxpipe: --batch-size must be an integer ≥ 1, got 1\.5/],
    [['--iterations', '-2'], /^onnxpipe: --iterations must be an integer ≥ 1, got -2/],
    [['--lr', '0'], /^onnxpipe: --lr must be a positive number, got 0/],
    [['--seed', '-1'], /^onnxpipe: --seed must be an integer ≥ 0, got -1/],
    [['--optimizer', 'adagrad'], /^onnxpipe: Invalid values:.*Argument: optimizer, Given: "adagrad", Choices: "sgd", "adam", "adamw", "rmsprop"/],
    [['--loss', 'hinge'], /^onnxpipe: Invalid values:.*Argument: loss, Given: "hinge"/],
    [['--device', 'tpu'], /^onnxpipe: Invalid values:.*Argument: device, Given: "tpu", Choices: "cpu", "cuda", "webgpu"/],
  ])('refuses %j', async (flags, message) => {
    const { code, stderr } = await runCli(['train', 'def.ts', '--out', 'm.onnx', ...flags]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('needs --out', async () => {
    const { code, stderr } = await runCli(['train', 'def.ts']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^onnxpipe: Missing required argument: out/);
  });

  it('fails on a missing definition file', async () => {
    const { code, stderr } = await runCli(['train', join(dir, 'none.ts'), '--out', join(dir, 'm.onnx')]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^onnxpipe: cannot read definition '.*none\.ts': ENOENT/);
  });
});
