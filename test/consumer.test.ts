import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// onnxpipe as a user gets it: `pnpm pack:all`, then, in a directory outside the workspace,
// `npm init -y` and `npm install` of the four tarballs, their dependencies coming from the
// registry. onnxruntime-node's install script (a CUDA download on Linux x64) is not run
// (--ignore-scripts). Each step prints its time.

const root = fileURLToPath(new URL('..', import.meta.url));
const VERSION = (JSON.parse(await readFile(join(root, 'packages/cli/package.json'), 'utf8')) as { version: string }).version;
const TOOLS = ['typescript@5.9.3', 'tsx@4.23.15', '@types/node@20.19.43'];

const TRUTH_TABLE = [
  [0, 0, 0],
  [0, 1, 1],
  [1, 0, 1],
  [1, 1, 0],
];
const X1 = JSON.stringify(TRUTH_TABLE.map(([a]) => [a]));
const X2 = JSON.stringify(TRUTH_TABLE.map(([, b]) => [b]));
const XOR = TRUTH_TABLE.map(([, , t]) => t);

/**
 * A user's shell: none of the npm_* and pnpm_* variables that `pnpm test` passes down (npm warns
 * about pnpm's), and no workspace node_modules/.bin in PATH.
 */
const userEnv: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(npm|pnpm)_/i.test(name))),
  PATH: (process.env.PATH ?? '')
    .split(':')
    .filter((dir) => !dir.startsWith(root))
    .join(':'),
  npm_config_update_notifier: 'false',
};

interface Run {
  stdout: string;
  stderr: string;
}

async function step(label: string, command: string, args: readonly string[], cwd: string): Promise<Run> {
  const started = performance.now();
  try {
    const { stdout, stderr } = await promisify(execFile)(command, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: userEnv });
    console.log(`consumer: ${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return { stdout, stderr };
  } catch (error) {
    const { stdout, stderr } = error as Run;
    throw new Error(`${label} failed: ${(error as Error).message}\n${stdout}\n${stderr}`);
  }
}

/** The model's outputs for the truth table's inputs, from what a script printed: rounded, they must be XOR. */
const rounded = (printed: string) => (JSON.parse(printed) as number[]).map(Math.round);

// The XOR network built, trained, exported, loaded and run with the installed packages. The same
// text is the ESM script (xor.mjs) and the TypeScript file (xor.mts, compiled by tsc).
const program = (typed: boolean) => `import { writeFile } from 'node:fs/promises';
import { exportInference, input, sgd${typed ? ', type ModelState' : ''} } from '@onnxpipe/graph-builder';
import { loadModel } from '@onnxpipe/runtime';
import { trainer${typed ? ', type Data' : ''} } from '@onnxpipe/trainer';

const x1${typed ? ': number[][]' : ''} = ${X1};
const x2${typed ? ': number[][]' : ''} = ${X2};
const target = ${JSON.stringify(XOR.map((t) => [t]))};
const model = input('x1', { shape: [null, 1] })
  .concatenate(input('x2', { shape: [null, 1] }))
  .dense(8, { activation: 'tanh' })
  .dense(1, { activation: 'sigmoid' });
const data${typed ? ': Data' : ''} = [[{ x1, x2 }, target]];
const state${typed ? ': ModelState' : ''} = await trainer(model, 'binary_cross_entropy', sgd({ learningRate: 0.5, momentum: 0.9 }), { seed: 1, log: 0 })
  .run(data, {}, { epochs: 300 });
await writeFile(process.argv[2]${typed ? '!' : ''}, exportInference(model, state));

const loaded = await loadModel(process.argv[2]${typed ? '!' : ''});
const outputs = await loaded.predict({ x1, x2 });
const predicted${typed ? ': number[]' : ''} = Array.from(outputs['dense_1']${typed ? '?' : ''}.data ?? [], Number);
await loaded.close();
console.log(JSON.stringify(predicted));
`;

const TSCONFIG = {
  compilerOptions: { target: 'ES2022', module: 'NodeNext', strict: true, noUncheckedIndexedAccess: true, skipLibCheck: false, types: ['node'], outDir: 'build' },
  files: ['xor.mts'],
};

// A definition for `onnxpipe train`, in a directory with no package.json and no node_modules.
const DEFINITION = `import { input } from '@onnxpipe/graph-builder';

export const model = input('x1', { shape: [null, 1] })
  .concatenate(input('x2', { shape: [null, 1] }))
  .dense(8, { activation: 'tanh' })
  .dense(1, { activation: 'sigmoid' });
export const loss = 'binary_cross_entropy';
`;
const CSV = `x1,x2,target\n${TRUTH_TABLE.map((row) => row.join(',')).join('\n')}\n`;

const started = performance.now();
let work: string;
let app: string;
let plain: string;
let tarballs: string[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'onnxpipe-consumer-'));
  app = join(work, 'app');
  plain = join(work, 'plain');
  await Promise.all([mkdir(app), mkdir(plain)]);
  await step('pnpm pack:all', 'pnpm', ['-s', 'pack:all'], root);
  tarballs = (await readdir(join(root, 'packed'))).map((name) => join(root, 'packed', name));
  await step('npm init -y', 'npm', ['init', '-y'], app);
  await step(`npm install the ${tarballs.length} tarballs and ${TOOLS.join(', ')}`, 'npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', ...tarballs, ...TOOLS], app);
}, 600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
  console.log(`consumer: all steps: ${((performance.now() - started) / 1000).toFixed(1)} s`);
});

describe('the tarballs', () => {
  it('are one per package, with the licence and without maps or sources', async () => {
    expect(tarballs.map((t) => t.slice(t.lastIndexOf('/') + 1)).sort()).toEqual(
      ['cli', 'graph-builder', 'runtime', 'trainer'].map((name) => `onnxpipe-${name}-${VERSION}.tgz`),
    );
    for (const name of ['cli', 'graph-builder', 'runtime', 'trainer']) {
      const dir = join(app, 'node_modules/@onnxpipe', name);
      expect(await readFile(join(dir, 'LICENSE'), 'utf8')).toBe(await readFile(join(root, 'LICENSE'), 'utf8'));
      const files = await readdir(dir, { recursive: true });
      expect(files.filter((f) => f.endsWith('.map') || f.startsWith('src'))).toEqual([]);
      const manifest = await readFile(join(dir, 'package.json'), 'utf8');
      expect(manifest).not.toMatch(/"source"|workspace:/);
    }
  });

  it('install a complete dependency tree (npm ls)', async () => {
    await step('npm ls', 'npm', ['ls', '--all'], app);
  });
});

describe('the packages, from a program', () => {
  it('train XOR, export it and predict the truth table (plain ESM script)', async () => {
    await writeFile(join(app, 'xor.mjs'), program(false));
    const { stdout } = await step('node xor.mjs', process.execPath, ['xor.mjs', 'xor-esm.onnx'], app);
    expect(rounded(stdout)).toEqual(XOR);
  });

  it('train XOR, export it and predict the truth table (TypeScript, compiled by tsc against the installed .d.ts)', async () => {
    await writeFile(join(app, 'xor.mts'), program(true));
    await writeFile(join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    await step('tsc (skipLibCheck: false)', 'npx', ['tsc', '-p', '.'], app);
    const { stdout } = await step('node build/xor.mjs', process.execPath, ['build/xor.mjs', 'xor-ts.onnx'], app);
    expect(rounded(stdout)).toEqual(XOR);
  });
});

describe('the onnxpipe command, through npx', () => {
  it('prints its version', async () => {
    expect((await step('npx onnxpipe --version', 'npx', ['onnxpipe', '--version'], app)).stdout).toBe(`${VERSION}\n`);
  });

  it.each(['xor.ts', 'xor.js'])('trains a definition (%s) in a plain directory on a CSV file, then predicts XOR', async (name) => {
    await writeFile(join(plain, name), DEFINITION);
    await writeFile(join(plain, 'xor.csv'), CSV);
    const out = join(plain, `${name}.onnx`);
    const flags = ['--data', join(plain, 'xor.csv'), '--batch-size', '4', '--epochs', '300', '--lr', '0.1', '--log', '0', '--out', out];
    const train = await step(`npx onnxpipe train ${name}`, 'npx', ['onnxpipe', 'train', join(plain, name), ...flags], app);
    expect(train).toEqual({ stdout: `wrote ${out}\n`, stderr: '' });
    const predict = await step('npx onnxpipe predict', 'npx', ['onnxpipe', 'predict', out, '--json', `{"x1":${X1},"x2":${X2}}`], app);
    expect((JSON.parse(predict.stdout) as { dense_1: number[][] }).dense_1.flat().map(Math.round)).toEqual(XOR);
  });
});

describe('the workspace after pack:all (what the README’s first command leaves)', () => {
  it('links the onnxpipe bin at install time', () => {
    expect(existsSync(join(root, 'node_modules/.bin/onnxpipe'))).toBe(true);
  });

  it('pnpm exec onnxpipe runs', async () => {
    expect((await step('pnpm exec onnxpipe --version', 'pnpm', ['exec', 'onnxpipe', '--version'], root)).stdout).toBe(`${VERSION}\n`);
  });

  it('pnpm -s onnxpipe, run in a subdirectory, takes paths from there and prints only the command’s output', async () => {
    const { stdout } = await step('pnpm -s onnxpipe inspect (in models/)', 'pnpm', ['-s', 'onnxpipe', 'inspect', 'xor.onnx', '--json'], join(root, 'models'));
    expect(JSON.parse(stdout)).toMatchObject({ inputs: [{ name: 'x1' }, { name: 'x2' }], outputs: [{ name: 'dense_1' }] });
  });
});
