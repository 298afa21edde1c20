import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelState } from '@onnxpipe/graph-builder';
import { CHUNK_ROWS } from '../predict/run-rows.js';
import { encodeModel, float16Model, scaleModel } from '../testing/handmade-models.js';
import { runCli } from '../testing/run-cli.js';
import { spawnCli } from '../testing/spawn-cli.js';
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

  describe('--json from a file or stdin', () => {
    const rows = 4000;
    const batch = { x1: Array.from({ length: rows }, (_, i) => [i % 2]), x2: Array.from({ length: rows }, (_, i) => [(i >> 1) % 2]) };
    const text = JSON.stringify(batch);
    const expectBatch = (stdout: string) => {
      const out = JSON.parse(stdout) as { dense_1: number[][] };
      expect(out.dense_1).toHaveLength(rows);
      [0, 1, 2, 3, rows - 1].forEach((i) => expect(out.dense_1[i]![0]).toBeCloseTo(xorByHand(state, i % 2, (i >> 1) % 2), 5));
    };

    it('reads --json @file', async () => {
      const path = join(dir, 'batch.json');
      await writeFile(path, text);
      expect(text.length).toBeGreaterThan(30_000);
      const { code, stdout, stderr } = await runCli(['predict', model, '--json', `@${path}`]);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expectBatch(stdout);
    });

    it('reads --json - from stdin, in a real process, where that much data on the command line crashes onnxruntime-node', async () => {
      const { code, stdout, stderr } = await spawnCli(['predict', model, '--json', '-'], {}, text);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expectBatch(stdout);
    });

    it('refuses a --json too long for a command line, pointing to @file and -', async () => {
      const { code, stderr } = await runCli(['predict', model, '--json', text]);
      expect(code).toBe(2);
      expect(stderr).toMatch(
        new RegExp(`^onnxpipe: --json is ${text.length} characters, over the 16384 a command line can safely carry; put the JSON in a file and pass --json @file, or pipe it with --json -`),
      );
    });

    it('names the source of invalid JSON', async () => {
      const path = join(dir, 'broken.json');
      await writeFile(path, '{"x1": [[0]');
      expect((await runCli(['predict', model, '--json', `@${path}`])).stderr).toMatch(/^onnxpipe: --json file '.*broken\.json' is not valid JSON: /);
      expect((await runCli(['predict', model, '--json', '-'], { stdin: '[1]' })).stderr).toMatch(/^onnxpipe: --json from stdin must be an object of input name/);
    });
  });

  describe('inputs without a batch dimension', () => {
    let scale: string;
    let state: string;
    beforeAll(async () => {
      scale = join(dir, 'scale.onnx');
      await writeFile(scale, scaleModel());
      // A recurrent state with the batch on axis 1, like silero VAD's.
      state = join(dir, 'state.onnx');
      await writeFile(state, encodeModel({ inputs: [{ name: 'h', shape: [2, 'N', 3] }], outputs: [{ name: 'h_next', shape: [2, 'N', 3] }], nodes: [{ op: 'Neg', inputs: ['h'], outputs: ['h_next'] }] }));
    });

    it('takes a scalar with --input name=value next to a batched input; scalar outputs print whole', async () => {
      const { code, stdout, stderr } = await runCli(['predict', scale, '--input', 'x=3', '--input', 'scale=2.5']);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(stdout)).toEqual({ y: 7.5, total: 7.5 });
      const batch = await runCli(['predict', scale, '--json', '{"x":[1,2,3],"scale":2}']);
      expect(JSON.parse(batch.stdout)).toEqual({ y: [2, 4, 6], total: 12 });
    });

    it('takes any shape with --json, and names --json when --input cannot fill an input', async () => {
      const h = [[[1, 2, 3]], [[4, 5, 6]]];
      const { code, stdout } = await runCli(['predict', state, '--json', JSON.stringify({ h })]);
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toEqual({ h_next: h.map((a) => a.map((b) => b.map((v) => -v))) });
      const refused = await runCli(['predict', state, '--input', 'h=1,2,3,4,5,6']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^onnxpipe: input 'h' has shape \[2, N, 3\], which --input cannot fill .*; give every input with --json '\{"h": …\}', --json @file or --json - \(stdin\)\n$/);
    });

    it.each([
      [['--input', 'x=1', '--input', 'scale=1,2'], /^onnxpipe: input 'scale' takes 1 value \(shape \[\]\), got 2\n$/],
      [['--input', 'x=1'], /^onnxpipe: missing input 'scale'; the model expects inputs: x, scale \(give --input scale=…\)\n$/],
    ])('fails with %j', async (flags, message) => {
      const { code, stderr } = await runCli(['predict', scale, ...flags]);
      expect(code).toBe(1);
      expect(stderr).toMatch(message);
    });

    it('refuses --file for a model with scalars, naming --input and --json', async () => {
      const { code, stderr } = await runCli(['predict', scale, '--file', await jsonl('scale.jsonl', '{"x":1,"scale":2}\n')]);
      expect(code).toBe(1);
      expect(stderr).toMatch(/^onnxpipe: .*scale\.jsonl: rows need every input and output to have a batch dimension first, and input 'scale' has shape \[\]; give one example with --input or whole tensors with --json\n$/);
    });
  });

  it('predicts float16 inputs and outputs as numbers', async () => {
    const half = join(dir, 'half.onnx');
    await writeFile(half, float16Model());
    // 0.1 rounds to the float16 0x2e66 = 1638 · 2^-14 = 0.0999755859375.
    const { code, stdout, stderr } = await runCli(['predict', half, '--input', 'h=0.1', '--input', 'f=0.1']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout)).toEqual({ h_copy: 0.0999755859375, h_as_float: 0.0999755859375, f_as_half: 0.0999755859375 });
    const batch = await runCli(['predict', half, '--json', '{"h":[65504,70000],"f":[1,2]}']);
    expect(JSON.parse(batch.stdout)).toEqual({ h_copy: [65504, null], h_as_float: [65504, null], f_as_half: [1, 2] });
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
    [['--json', `@${'/no/such/batch.json'}`], /^onnxpipe: cannot read --json file '\/no\/such\/batch\.json': ENOENT/],
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
