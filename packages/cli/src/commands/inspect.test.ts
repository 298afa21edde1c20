import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float16Model } from '../testing/handmade-models.js';
import { runCli } from '../testing/run-cli.js';
import { tempDir, writeXorModel } from '../testing/xor-model.js';

let dir: string;
let model: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  model = (await writeXorModel(dir)).path;
});
afterAll(() => cleanup());

describe('onnxpipe inspect', () => {
  it('prints inputs, outputs, opset, IR version, producer and counts as text', async () => {
    const { code, stdout, stderr } = await runCli(['inspect', model]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^producer +onnxpipe 0\.1\.0$/m);
    expect(stdout).toMatch(/^ir version +8$/m);
    expect(stdout).toMatch(/^opset +18$/m);
    // 2×8 kernel + 8 bias + 8×1 kernel + 1 bias
    expect(stdout).toMatch(/^parameters +33$/m);
    expect(stdout).toMatch(/^nodes +\d+$/m);
    expect(stdout).toMatch(/^inputs\n {2}x1 +float32 +\[batch, 1\]\n {2}x2 +float32 +\[batch, 1\]\noutputs\n {2}dense_1 +float32 +\[batch, 1\]\n$/m);
  });

  it('prints JSON with --json', async () => {
    const { code, stdout } = await runCli(['inspect', model, '--json']);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      inputs: [
        { name: 'x1', dtype: 'float32', shape: ['batch', 1] },
        { name: 'x2', dtype: 'float32', shape: ['batch', 1] },
      ],
      outputs: [{ name: 'dense_1', dtype: 'float32', shape: ['batch', 1] }],
      opset: 18,
      irVersion: 8,
      producer: { name: 'onnxpipe', version: '0.1.0' },
      parameters: 33,
    });
    // concat, 2 × (Gemm with its bias, activation), and whatever else the exporter emits
    expect(summary.nodes).toBeGreaterThanOrEqual(5);
  });

  it('shows float16 inputs and outputs', async () => {
    const path = join(dir, 'half.onnx');
    await writeFile(path, float16Model());
    const { code, stdout, stderr } = await runCli(['inspect', path]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^inputs\n {2}h +float16 +\[N\]\n {2}f +float32 +\[N\]\noutputs\n {2}h_copy +float16 +\[N\]\n {2}h_as_float +float32 +\[N\]\n {2}f_as_half +float16 +\[N\]\n$/m);
  });

  it('fails on a missing file', async () => {
    const { code, stderr } = await runCli(['inspect', join(dir, 'nope.onnx')]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^onnxpipe: cannot read model file '.*nope\.onnx': ENOENT/);
  });

  it('fails on a file that is not ONNX', async () => {
    const path = join(dir, 'text.onnx');
    await writeFile(path, 'hello, not a model\n'.repeat(10));
    const { code, stderr } = await runCli(['inspect', path]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^onnxpipe: '.*text\.onnx' is not a valid ONNX model/);
  });
});
