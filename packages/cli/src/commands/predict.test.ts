import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelState } from '@onnxpipe/graph-builder';
import { CHUNK_ROWS } from '../predict/run-rows.js';
import { runCli } from '../testing/run-cli.js';
import { tempDir, writeXorModel, xorByHand } from '../testing/xor-model.js';

let dir: string;
let model: string;
let state: ModelState;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  ({ path: model, state } = await writeXorModel(dir));
});
afterAll(() => cleanup());

const lines = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as { dense_1: number[] });

async function jsonl(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('onnxpipe predict', () => {
  it('predicts one row from --input flags, matching a hand computation', async () => {
    const { code, stdout, stderr } = await runCli(['predict', model, '--input', 'x1=0', '--input', 'x2=1']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const [row] = lines(stdout);
    expect(row!.dense_1).toHaveLength(1);
    expect(row!.dense_1[0]).toBeCloseTo(xorByHand(state, 0, 1), 5);
  });

  it('predicts a batch from --json', async () => {
    const { code, stdout } = await runCli(['predict', model, '--json', '{"x1":[[0],[1]],"x2":[[1],[1]]}']);
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { dense_1: number[][] };
    expect(out.dense_1[0]![0]).toBeCloseTo(xorByHand(state, 0, 1), 5);
    expect(out.dense_1[1]![0]).toBeCloseTo(xorByHand(state, 1, 1), 5);
  });

  it('prints one line per row of a JSONL file, rows as arrays or plain numbers', async () => {
    const path = await jsonl('rows.jsonl', '{"x1":[0],"x2":[0]}\n\n{"x1":1,"x2":0}\n{"x1":[1],"x2":[1]}\n');
    const { code, stdout } = await runCli(['predict', model, '--file', path]);
    expect(code).toBe(0);
    const rows = lines(stdout);
    expect(rows).toHaveLength(3);
    [[0, 0], [1, 0], [1, 1]].forEach(([a, b], i) => expect(rows[i]!.dense_1[0]).toBeCloseTo(xorByHand(state, a!, b!), 5));
  });

  it('runs files longer than one chunk, in order', async () => {
    const count = CHUNK_ROWS * 2 + 3;
    const text = Array.from({ length: count }, (_, i) => JSON.stringify({ x1: [i % 2], x2: [(i >> 1) % 2] })).join('\n');
    const { code, stdout } = await runCli(['predict', model, '--file', await jsonl('long.jsonl', text)]);
    expect(code).toBe(0);
    const rows = lines(stdout);
    expect(rows).toHaveLength(count);
    expect(rows[count - 1]!.dense_1[0]).toBeCloseTo(xorByHand(state, (count - 1) % 2, ((count - 1) >> 1) % 2), 5);
  });

  it.each([
    [['--input', 'x1'], /^onnxpipe: --input 'x1' must look like name=value or name=v1,v2,…\n$/],
    [['--input', 'x1=a', '--input', 'x2=1'], /^onnxpipe: --input x1: 'a' is not a number\n$/],
    [['--input', 'x1=', '--input', 'x2=1'], /^onnxpipe: --input x1: '' is not a number\n$/],
    [['--input', 'x3=1'], /^onnxpipe: unknown input 'x3'; the model expects inputs: x1, x2\n$/],
    [['--input', 'x1=0,1', '--input', 'x2=1'], /^onnxpipe: input 'x1' takes 1 value per row \(shape \[batch, 1\]\), got 2\n$/],
    [['--input', 'x1=0', '--input', 'x1=1'], /^onnxpipe: input 'x1' is given twice; --input takes one row, use --file for several\n$/],
    [['--input', 'x1=0'], /^onnxpipe: missing input 'x2'; the model expects inputs: x1, x2 \(give --input x2=…\)\n$/],
    [['--json', '{"x1":[[0]]'], /^onnxpipe: --json is not valid JSON: /],
    [['--json', '[1]'], /^onnxpipe: --json must be an object of input name to nested arrays/],
    [['--json', '{"x1":[[0,1]],"x2":[[1,1]]}'], /^onnxpipe: input 'x1': expected shape \[batch, 1\], got \[1, 2\]\n$/],
    [['--json', '{"x1":[[0]],"x3":[[1]]}'], /^onnxpipe: unknown input 'x3'; the model expects inputs: x1, x2\n$/],
  ])('fails with a one-line message for %j', async (flags, message) => {
    const { code, stdout, stderr } = await runCli(['predict', model, ...flags]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });

  it.each([
    ['bad-json.jsonl', '{"x1":[0],"x2":[1]}\n{"x1":[0],"x2":\n', /^onnxpipe: .*bad-json\.jsonl line 2: invalid JSON \(/],
    ['array.jsonl', '\n[0, 1]\n', /^onnxpipe: .*array\.jsonl line 2: expected a JSON object of input values like \{"x1": \[0\]\}, got an array\n$/],
    ['empty.jsonl', '\n\n', /^onnxpipe: .*empty\.jsonl has no rows\n$/],
    ['missing.jsonl', '{"x1":[0],"x2":[1]}\n{"x1":[0],"x2":[1]}\n{"x1":[0]}\n', /^onnxpipe: .*missing\.jsonl line 3: missing input 'x2'; the model expects inputs: x1, x2\n$/],
    ['wide.jsonl', '{"x1":[0],"x2":[1]}\n\n{"x1":[0,1],"x2":[1]}\n', /^onnxpipe: .*wide\.jsonl line 3: input 'x1': expected shape \[batch, 1\], got \[1, 2\]\n$/],
    ['text.jsonl', '{"x1":["a"],"x2":[1]}\n', /^onnxpipe: .*text\.jsonl line 1: input 'x1': value at \[0, 0\] is a string \("a"\), expected a number\n$/],
  ])('names the line of a bad row in %s', async (name, text, message) => {
    const { code, stderr } = await runCli(['predict', model, '--file', await jsonl(name, text)]);
    expect(code).toBe(1);
    expect(stderr).toMatch(message);
  });

  it('prints the rows before a bad line, then fails', async () => {
    const text = `${'{"x1":[0],"x2":[1]}\n'.repeat(CHUNK_ROWS)}{"x1":[0],"x2":[1]}\n{"x1":[0]}\n`;
    const { code, stdout, stderr } = await runCli(['predict', model, '--file', await jsonl('late.jsonl', text)]);
    expect(code).toBe(1);
    expect(lines(stdout)).toHaveLength(CHUNK_ROWS + 1);
    expect(stderr).toMatch(new RegExp(`line ${CHUNK_ROWS + 2}: missing input 'x2'`));
  });

  it('fails on a missing --file', async () => {
    const { code, stderr } = await runCli(['predict', model, '--file', join(dir, 'none.jsonl')]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^onnxpipe: cannot read --file '.*none\.jsonl': ENOENT/);
  });

  it('fails on a missing model file', async () => {
    const { code, stderr } = await runCli(['predict', join(dir, 'none.onnx'), '--input', 'x1=0']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^onnxpipe: cannot read model file '.*none\.onnx': ENOENT/);
  });

  it.each([
    [[], /^onnxpipe: give the inputs with --input, --json or --file/],
    [['--input', 'x1=0', '--json', '{}'], /^onnxpipe: Arguments input and json are mutually exclusive/],
    [['--json', '{}', '--file', 'f.jsonl'], /^onnxpipe: Arguments json and file are mutually exclusive/],
    [['--file'], /^onnxpipe: Not enough arguments following: file/],
  ])('is a usage error to give %j', async (flags, message) => {
    const { code, stderr } = await runCli(['predict', model, ...flags]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
