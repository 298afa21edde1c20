import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend, createLoadModel, loadModel, ModelLoadError, ortBackend, RuntimeInputError, type Model, type NestedNumbers } from './node.js';
import { affineForward, affineModel, encodeModel } from './testing/handmade-model.js';

const { DataType } = onnxProto.onnx.TensorProto;

const A = [
  [0.3, -1.2],
  [2.5, 0.1],
  [-0.7, -0.9],
];
/** `{ data, dims }` of float32 data, the affine model's dtype. */
const typed = (length: number, dims: number[]) => ({ data: Float32Array.from({ length }, (_, i) => i / 10), dims });

const FEATURES = [
  [1, 0.5, -2],
  [0.25, -3, 4],
  [0, 0, 0],
];

function expectClose(actual: NestedNumbers, expected: number[][]) {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((row, i) =>
    row.forEach((v, j) => expect(((actual as number[][])[i] as number[])[j]).toBeCloseTo(v, 5)),
  );
}

let dir: string;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'onnxpipe-runtime-'));
  await writeFile(join(dir, 'affine.onnx'), affineModel());
  await writeFile(join(dir, 'notes.txt'), 'this is a text file, not a model\n');
  await writeFile(join(dir, 'image.png'), Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
  await writeFile(join(dir, 'truncated.onnx'), affineModel().slice(0, 100));
  server = createServer((request, response) => {
    if (request.url === '/affine.onnx') response.end(affineModel());
    else response.writeHead(404, 'Not Found').end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('loadModel (node)', () => {
  it.each([
    ['a path', () => join(dir, 'affine.onnx')],
    ['a file URL', () => pathToFileURL(join(dir, 'affine.onnx'))],
    ['an http URL string', () => `${baseUrl}/affine.onnx`],
    ['an http URL', () => new URL(`${baseUrl}/affine.onnx`)],
    ['a Uint8Array', () => affineModel()],
    ['a Uint8Array view at an offset', () => {
      const bytes = affineModel();
      const padded = new Uint8Array(bytes.length + 7);
      padded.set(bytes, 7);
      return padded.subarray(7);
    }],
    ['an ArrayBuffer', () => Uint8Array.from(affineModel()).buffer],
  ])('loads from %s and predicts', async (_, source) => {
    const model = await loadModel(source());
    expect(model.inputs).toEqual([
      { name: 'a', dtype: 'float32', shape: ['N', 2] },
      { name: 'features', dtype: 'float32', shape: ['N', 3] },
    ]);
    expect(model.outputs.map((o) => o.name)).toEqual(['y', 'relu']);
    expect(model.opset).toBe(17);
    expect(model.producer).toEqual({ name: 'handmade', version: '1' });
    const out = await model.predict({ a: A, features: FEATURES });
    expectClose(out.y?.toArray() ?? [], affineForward(A, FEATURES).y);
    await model.close();
  });

  it.each([
    ['a missing path', () => join(dir, 'missing.onnx'), /cannot read model file '.*missing\.onnx': ENOENT: no such file or directory/],
    ['a directory', () => dir, /cannot read model file '.*': EISDIR/],
    ['a text file', () => join(dir, 'notes.txt'), /'.*notes\.txt' is not a valid ONNX model/],
    ['a PNG', () => join(dir, 'image.png'), /'.*image\.png' is not a valid ONNX model/],
    ['a truncated model', () => join(dir, 'truncated.onnx'), /'.*truncated\.onnx' is not a valid ONNX model \(corrupted, truncated/],
    ['an HTTP 404', () => `${baseUrl}/missing.onnx`, /cannot fetch model from '.*\/missing\.onnx': HTTP 404 Not Found/],
    ['an unreachable URL', () => 'http://127.0.0.1:1/affine.onnx', /cannot fetch model from 'http:\/\/127\.0\.0\.1:1\/affine\.onnx': fetch failed/],
    ['a non-source', () => 42 as never, /model source must be a path, a URL, a Uint8Array or an ArrayBuffer/],
  ])('rejects %s with a ModelLoadError', async (_, source, message) => {
    const loading = loadModel(source());
    await expect(loading).rejects.toThrow(message);
    await expect(loading).rejects.toBeInstanceOf(ModelLoadError);
  });

  it('wraps what onnxruntime rejects in a ModelLoadError', async () => {
    const unknownOp = encodeModel({
      inputs: [{ name: 'x', shape: [1] }],
      outputs: [{ name: 'y', shape: [1] }],
      nodes: [{ op: 'NotAnOnnxOp', inputs: ['x'], outputs: ['y'] }],
    });
    await expect(loadModel(unknownOp)).rejects.toThrow(/onnxruntime cannot load the given buffer of \d+ bytes: .*NotAnOnnxOp/);
    await expect(loadModel(affineModel(), { executionProviders: ['no-such-provider'] })).rejects.toThrow(
      /onnxruntime cannot load the given buffer .*no-such-provider/,
    );
  });
});

describe('Model (node)', () => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(affineModel(), { intraOpNumThreads: 1 });
  });
  afterAll(() => model.release());

  it('matches the hand-written forward pass to 1e-5 over many batch sizes', async () => {
    for (const n of [1, 2, 5, 17]) {
      const a = Array.from({ length: n }, (_, i) => [Math.sin(i), Math.cos(3 * i)]);
      const features = Array.from({ length: n }, (_, i) => [i / 7, -i / 3, Math.sqrt(i)]);
      const out = await model.predict({ a, features });
      const expected = affineForward(a, features);
      expect(out.y?.dims).toEqual([n, 2]);
      expect(out.y?.dtype).toBe('float32');
      expect(out.y?.data).toBeInstanceOf(Float32Array);
      expectClose(out.y?.toArray() ?? [], expected.y);
      expectClose(out.relu?.toArray() ?? [], expected.relu);
    }
  });

  it('takes { data, dims } and onnxruntime Tensors', async () => {
    const out = await model.predict({
      a: { data: A.flat(), dims: [3, 2] },
      features: new Tensor('float64', Float64Array.from(FEATURES.flat()), [3, 3]),
    });
    expectClose(out.y?.toArray() ?? [], affineForward(A, FEATURES).y);
  });

  it('predicts a batch of rows as one record per row', async () => {
    const rows = A.map((a, i) => ({ a, features: FEATURES[i] as number[] }));
    const results = await model.predictBatch(rows);
    const expected = affineForward(A, FEATURES);
    expect(results).toHaveLength(3);
    expectClose(results.map((r) => r.y as number[]), expected.y);
    expectClose(results.map((r) => r.relu as number[]), expected.relu);
  });

  it.each([
    [{ a: A }, /missing input 'features'; the model expects inputs: a, features/],
    [{ a: A, features: FEATURES, b: A }, /unknown input 'b'; the model expects inputs: a, features/],
    [{ a: [0.1, 0.2], features: FEATURES }, /input 'a': expected shape \[N, 2\], got \[2\] \(rank 2, got rank 1\)/],
    [{ a: [[0.1, 0.2, 0.3]], features: [[1, 2, 3]] }, /input 'a': expected shape \[N, 2\], got \[1, 3\]$/],
    [{ a: [[0.1], [0.2, 0.3]], features: FEATURES }, /input 'a' is ragged: row 1 has 2 values, row 0 has 1/],
    [{ a: [[0.1, 'x']], features: [[1, 2, 3]] }, /input 'a': value at \[0, 1\] is a string \("x"\), expected a number/],
    [{ a: [[0.1, null]], features: [[1, 2, 3]] }, /input 'a': value at \[0, 1\] is null, expected a number/],
    [{ a: A, features: [[1, 2, 3]] }, /inputs 'a' and 'features' disagree on dimension 'N': 3 vs 1/],
    // the same checks on { data, dims } of the declared dtype, which predict takes without copying
    [{ a: typed(6, [3, 2]) }, /missing input 'features'; the model expects inputs: a, features/],
    [{ a: typed(6, [3, 2]), features: typed(9, [3, 3]), b: typed(6, [3, 2]) }, /unknown input 'b'; the model expects inputs: a, features/],
    [{ a: typed(6, [6]), features: typed(9, [3, 3]) }, /input 'a': expected shape \[N, 2\], got \[6\] \(rank 2, got rank 1\)/],
    [{ a: typed(6, [2, 3]), features: typed(6, [2, 3]) }, /input 'a': expected shape \[N, 2\], got \[2, 3\]$/],
    [{ a: typed(5, [3, 2]), features: typed(9, [3, 3]) }, /input 'a': data has 5 values but dims \[3, 2\] need 6$/],
    [{ a: typed(0, [3, -2]), features: typed(9, [3, 3]) }, /input 'a': dims must be an array of non-negative integers, got \[3,-2\]$/],
    [{ a: typed(6, [3, 2]), features: typed(3, [1, 3]) }, /inputs 'a' and 'features' disagree on dimension 'N': 3 vs 1/],
    [{ a: new Tensor('float32', new Float32Array(6), [3, 2]), features: typed(3, [1, 3]) }, /inputs 'a' and 'features' disagree on dimension 'N': 3 vs 1/],
  ])('rejects %j before running', async (inputs, message) => {
    const running = model.predict(inputs as never);
    await expect(running).rejects.toThrow(message);
    await expect(running).rejects.toBeInstanceOf(RuntimeInputError);
  });

  it('rejects bad batch rows', async () => {
    await expect(model.predictBatch([{ a: [1, 2], features: [1, 2, 3] }, { a: [1, 2] }])).rejects.toThrow(
      /row 1: missing input 'features'/,
    );
    await expect(model.predictBatch([{ a: [1, 2], features: [1, 2, 3] }, { a: [1], features: [1, 2, 3] }])).rejects.toThrow(
      /input 'a' is ragged: row 1 has 1 value, row 0 has 2/,
    );
  });

  it('allows NaN, which is a number', async () => {
    const out = await model.predict({ a: [[Number.NaN, 0]], features: [[0, 0, 0]] });
    expect(Number.isNaN(out.y?.data[0])).toBe(true);
  });
});

describe('declared dtypes (node)', () => {
  it('names the expected shape of a width-1 input', async () => {
    const model = await loadModel(
      encodeModel({
        inputs: [{ name: 'x1', shape: ['batch', 1] }],
        outputs: [{ name: 'y', shape: ['batch', 1] }],
        nodes: [{ op: 'Relu', inputs: ['x1'], outputs: ['y'] }],
      }),
    );
    await expect(model.predict({ x1: [[0, 1]] })).rejects.toThrow(/input 'x1': expected shape \[batch, 1\], got \[1, 2\]$/);
    expect(await model.predictBatch([{ x1: -1 }, { x1: 2 }])).toEqual([{ y: [0] }, { y: [2] }]);
    await model.close();
  });

  it('converts inputs to float64 and int64 and returns those dtypes', async () => {
    const model = await loadModel(
      encodeModel({
        inputs: [
          { name: 'x', shape: ['n'], elemType: DataType.DOUBLE },
          { name: 'ids', shape: ['n'], elemType: DataType.INT64 },
        ],
        outputs: [
          { name: 'sum', shape: ['n'], elemType: DataType.DOUBLE },
          { name: 'twice', shape: ['n'], elemType: DataType.INT64 },
        ],
        nodes: [
          { op: 'Cast', inputs: ['ids'], outputs: ['ids_f'], attributes: { to: DataType.DOUBLE } },
          { op: 'Add', inputs: ['x', 'ids_f'], outputs: ['sum'] },
          { op: 'Add', inputs: ['ids', 'ids'], outputs: ['twice'] },
        ],
      }),
    );
    expect(model.inputs.map((i) => i.dtype)).toEqual(['float64', 'int64']);
    const out = await model.predict({ x: [0.1, 1e-12], ids: [3, -2] });
    expect(out.sum?.data).toEqual(Float64Array.from([3.1, -2 + 1e-12]));
    expect(out.twice?.dtype).toBe('int64');
    expect(out.twice?.toArray()).toEqual([6, -4]);
    expect(await model.predictBatch([{ x: 1, ids: 2 }])).toEqual([{ sum: 3, twice: 4 }]);
    await expect(model.predict({ x: [0], ids: [0.5] })).rejects.toThrow(/input 'ids': value at \[0\] is 0.5, expected an integer/);
    await model.close();
  });

  it('finishes running predictions on close, then refuses new ones', async () => {
    const model = await loadModel(affineModel());
    const inFlight = model.predict({ a: A, features: FEATURES });
    await Promise.all([model.close(), model.release()]);
    expect((await inFlight).y?.dims).toEqual([3, 2]);
    await expect(model.predict({ a: A, features: FEATURES })).rejects.toThrow(/model is closed/);
    await expect(model.predictBatch([{ a: [1, 2], features: [1, 2, 3] }])).rejects.toThrow(/model is closed/);
  });

  it('closes only after every running prediction has settled, failed ones too', async () => {
    // unnamed batch dims: rows that differ pass the input checks and fail in onnxruntime's Add
    const sum = encodeModel({
      inputs: [
        { name: 'u', shape: [null, 2] },
        { name: 'v', shape: [null, 2] },
      ],
      outputs: [{ name: 'w', shape: [null, 2] }],
      nodes: [{ op: 'Add', inputs: ['u', 'v'], outputs: ['w'] }],
    });
    const model = await loadModel(sum);
    const order: string[] = [];
    const ok = model.predict({ u: typed(4, [2, 2]), v: typed(4, [2, 2]) }).then(() => order.push('predicted'));
    const failing = model.predict({ u: typed(4, [2, 2]), v: typed(6, [3, 2]) }).catch(() => order.push('failed'));
    const closed = model.close().then(() => order.push('closed'));
    await Promise.all([ok, failing, closed]);
    expect(order).toEqual(['predicted', 'failed', 'closed']);
    const idle = await loadModel(sum);
    await idle.close();
    await expect(idle.predict({ u: typed(4, [2, 2]), v: typed(4, [2, 2]) })).rejects.toThrow(/model is closed/);
  });
});

describe('ortBackend: the onnxruntime binding shared with the trainer', () => {
  it("binds onnxruntime-node with 'cpu' as its cpu provider and file reading", () => {
    expect(backend.cpuProvider).toBe('cpu');
    expect(backend.InferenceSession).toBe(ort.InferenceSession);
    expect(backend.listSupportedBackends?.().some((b) => b.name === 'cpu')).toBe(true);
    expect(typeof backend.readFile).toBe('function');
  });

  it('createLoadModel over a binding runs on its cpu provider; without readFile a path is fetched, not read', async () => {
    const providers: unknown[] = [];
    const bound = ortBackend(
      { ...ort, InferenceSession: { create: (bytes: Uint8Array, options?: ort.InferenceSession.SessionOptions) => (providers.push(options?.executionProviders), ort.InferenceSession.create(bytes, options)) } },
      { cpuProvider: 'cpu' },
    );
    const model = await createLoadModel(bound)(affineModel());
    expect(providers).toEqual([['cpu']]);
    expectClose((await model.predict({ a: A, features: FEATURES })).y!.toArray(), affineForward(A, FEATURES).y);
    await model.close();
    await expect(createLoadModel(bound)(join(dir, 'affine.onnx'))).rejects.toThrow(ModelLoadError);
  });

  it('with cores, the CPU session gets one thread for a small model; intraOpNumThreads and other providers are left as asked', async () => {
    const asked: (ort.InferenceSession.SessionOptions | undefined)[] = [];
    const bound = ortBackend(
      { ...ort, InferenceSession: { create: (bytes: Uint8Array, options?: ort.InferenceSession.SessionOptions) => (asked.push(options), ort.InferenceSession.create(bytes, options)) } },
      { cpuProvider: 'cpu', cores: 4 },
    );
    const tuned = await createLoadModel(bound)(affineModel());
    expectClose((await tuned.predict({ a: A, features: FEATURES })).y!.toArray(), affineForward(A, FEATURES).y);
    const pinned = await createLoadModel(bound)(affineModel(), { intraOpNumThreads: 3 });
    await Promise.all([tuned.close(), pinned.close()]);
    expect(asked).toEqual([
      { executionProviders: ['cpu'], intraOpNumThreads: 1 },
      { executionProviders: ['cpu'], intraOpNumThreads: 3 },
    ]);
    expect(backend.cores).toBeGreaterThanOrEqual(1);
  });
});
