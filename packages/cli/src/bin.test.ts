import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli, startCli } from './testing/spawn-cli.js';
import { tempDir, xorModel } from './testing/xor-model.js';

// The process around `main`: the directory paths are relative to, a closed stdout, and what
// onnxruntime and Dawn print on stderr. Each test runs the CLI in a child process.

const fixture = (name: string) => fileURLToPath(new URL(`./testing/fixtures/${name}`, import.meta.url));

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  await writeFile(join(dir, 'xor.onnx'), xorModel().bytes);
});
afterAll(() => cleanup());

describe('relative paths', () => {
  it('resolve against INIT_CWD when run as the package script `onnxpipe` (pnpm onnxpipe …)', async () => {
    const run = await spawnCli(['inspect', 'xor.onnx'], { npm_lifecycle_event: 'onnxpipe', INIT_CWD: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^model {7}xor\.onnx\n/);
  });

  it('resolve against the current directory in any other script', async () => {
    const run = await spawnCli(['inspect', 'xor.onnx'], { npm_lifecycle_event: 'train', INIT_CWD: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^onnxpipe: cannot read model file 'xor\.onnx': ENOENT/);
  });
});

describe('a closed stdout', () => {
  it('ends the CLI quietly with status 0 (onnxpipe predict … | head -1)', async () => {
    const rows = join(dir, 'rows.jsonl');
    await writeFile(rows, '{"x1": [0], "x2": [1]}\n'.repeat(20_000));
    const child = startCli(['predict', join(dir, 'xor.onnx'), '--file', rows]);
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

describe('definitions outside any project', () => {
  // A plain directory under the system's temporary one: no package.json, no node_modules above it.
  let plain: string;
  beforeAll(async () => {
    plain = join(dir, 'plain');
    await mkdir(plain);
  });

  it.each([
    ['xor-definition.ts', 'typescript.ts'],
    ['xor-definition.mjs', 'javascript.mjs'],
  ])('load %s as %s, importing @onnxpipe/graph-builder from the CLI’s install', async (source, name) => {
    const definition = join(plain, name);
    await writeFile(definition, await readFile(fixture(source), 'utf8'));
    const out = join(plain, `${name}.onnx`);
    const run = await spawnCli(['train', definition, '--data', fixture('xor.csv'), '--epochs', '1', '--log', '0', '--out', out]);
    expect(run).toEqual({ code: 0, stdout: `wrote ${out}\n`, stderr: '' });
  });
});

describe('device errors and logs', () => {
  const cudaProvider = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), `../bin/napi-v6/${process.platform}/${process.arch}/libonnxruntime_providers_cuda.so`);

  it.skipIf(existsSync(cudaProvider))('--device cuda without the CUDA provider prints onnxpipe’s one line only', async () => {
    const run = await spawnCli(['train', fixture('xor-definition.mjs'), '--device', 'cuda', '--epochs', '1', '--out', join(dir, 'cuda.onnx')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^onnxpipe: device 'cuda' is not available in this onnxruntime build \(onnxruntime-node's CUDA provider is downloaded by its install script[^\n]*\(--verbose shows onnxruntime's log\)\n$/);
  });

  it('--device webgpu prints none of Dawn’s warnings', async () => {
    const out = join(dir, 'webgpu.onnx');
    const run = await spawnCli(['train', fixture('xor-definition.mjs'), '--device', 'webgpu', '--epochs', '1', '--log', '0', '--out', out]);
    expect(run).toEqual({ code: 0, stdout: `wrote ${out}\n`, stderr: '' });
  });

  it('--device webgpu --verbose lets them through (Mesa’s lavapipe, the CI’s device, always warns)', async () => {
    const run = await spawnCli(['train', fixture('xor-definition.mjs'), '--device', 'webgpu', '--epochs', '1', '--log', '0', '--verbose', '--out', join(dir, 'verbose.onnx')]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^Warning: /m);
  });
});
