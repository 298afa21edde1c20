import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import {
  activationNames,
  add,
  exportInference,
  initParams,
  input,
  model,
  multiply,
  OPSET,
  subtract,
  type ModelLike,
  type ModelState,
} from './index.js';
import {
  activate,
  addM,
  concat,
  denseRef,
  maxError,
  mulM,
  randomData,
  refActivations,
  seededUniform,
  subM,
  toRows,
  type Matrix,
} from './testing/reference.js';
import { xorModel } from './testing/fixtures.js';
import { float64Params, xorProbability } from './testing/xor-reference.js';

const BATCHES = [1, 5, 32];
const TOL = 1e-5;

type Feed = { data: Float32Array | Float64Array; dims: [number, number] };
type Feeds = Record<string, Feed>;

/** Random feeds for inputs of the given widths, plus their values as rows for the reference. */
function makeFeeds(widths: Record<string, number>, batch: number, seed: number, dtype: 'float32' | 'float64' = 'float32') {
  const next = seededUniform(seed);
  const feeds: Feeds = {};
  const rows: Record<string, Matrix> = {};
  for (const [name, width] of Object.entries(widths)) {
    const data = randomData(next, batch, width, dtype);
    feeds[name] = { data, dims: [batch, width] };
    rows[name] = toRows(data, [batch, width]);
  }
  return { feeds, rows };
}

async function runOrt(bytes: Uint8Array, feeds: Feeds): Promise<Record<string, Matrix>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const ortFeeds = Object.fromEntries(
      Object.entries(feeds).map(([k, f]) => [k, new ort.Tensor(f.data instanceof Float64Array ? 'float64' : 'float32', f.data, f.dims)]),
    );
    const result = await session.run(ortFeeds);
    return Object.fromEntries(Object.entries(result).map(([k, t]) => [k, toRows(t.data as Float32Array | Float64Array, t.dims)]));
  } finally {
    await session.release();
  }
}

/** Export `m` with seeded params, run it in onnxruntime-node for each batch size, compare every output with `ref`. */
async function checkAgainstReference(
  m: ModelLike,
  widths: Record<string, number>,
  ref: (params: ModelState, x: Record<string, Matrix>) => Record<string, Matrix>,
  options: { seed?: number; dtype?: 'float32' | 'float64'; tol?: number; params?: ModelState } = {},
): Promise<ModelState> {
  const params = options.params ?? initParams(m, { seed: options.seed ?? 1 });
  const bytes = exportInference(m, params);
  for (const batch of BATCHES) {
    const { feeds, rows } = makeFeeds(widths, batch, 1000 + batch, options.dtype);
    const got = await runOrt(bytes, feeds);
    const want = ref(params, rows);
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    for (const [name, w] of Object.entries(want)) {
      expect(got[name]!.length, `${name} batch`).toBe(batch);
      expect(maxError(got[name]!, w), `${name} at batch ${batch}`).toBeLessThanOrEqual(options.tol ?? TOL);
    }
  }
  return params;
}

const xorForward = (p: ModelState, x: Record<string, Matrix>): Matrix => {
  const params = float64Params(p);
  return x.x1!.map((row, r) => [xorProbability(params, row[0]!, x.x2![r]![0]!)]);
};

describe('exportInference matches an independent float64 forward pass in onnxruntime-node', () => {
  it('(a) XOR: concat(x1, x2) → dense(8, tanh) → dense(1, sigmoid)', async () => {
    const params = await checkAgainstReference(xorModel(), { x1: 1, x2: 1 }, (p, x) => ({ dense_1: xorForward(p, x) }), { seed: 42 });
    expect(Object.keys(params).sort()).toEqual(['dense_0.bias', 'dense_0.kernel', 'dense_1.bias', 'dense_1.kernel']);
    expect(params['dense_0.kernel']!.dims).toEqual([2, 8]);
    expect(params['dense_1.kernel']!.dims).toEqual([8, 1]);
  });

  it('(b) three inputs of widths 1, 3, 4 → dense(5, relu) → dense(2, softmax)', async () => {
    const a = input('a', { shape: [null, 1] });
    const b = input('b', { shape: [null, 3] });
    const c = input('c', { shape: [null, 4] });
    const out = a.concatenate(b, c).dense(5, { activation: 'relu' }).dense(2, { activation: 'softmax' });
    await checkAgainstReference(out, { a: 1, b: 3, c: 4 }, (p, x) => ({
      dense_1: denseRef(denseRef(concat(x.a!, x.b!, x.c!), p, 'dense_0', 'relu'), p, 'dense_1', 'softmax'),
    }));
  });

  const merges = [
    ['add', add, addM],
    ['subtract', subtract, subM],
    ['multiply', multiply, mulM],
  ] as const;
  for (const [kind, merge, mergeRef] of merges) {
    it(`(c) branches dense(4, tanh)(x1) and dense(4, gelu)(x2) merged by ${kind} → dense(1)`, async () => {
      const x1 = input('x1', { shape: [null, 2] });
      const x2 = input('x2', { shape: [null, 3] });
      const out = merge(x1.dense(4, { activation: 'tanh' }), x2.dense(4, { activation: 'gelu' })).dense(1);
      await checkAgainstReference(out, { x1: 2, x2: 3 }, (p, x) => ({
        dense_2: denseRef(mergeRef(denseRef(x.x1!, p, 'dense_0', 'tanh'), denseRef(x.x2!, p, 'dense_1', 'gelu')), p, 'dense_2'),
      }));
    });
  }

  describe('(d) two outputs', () => {
    const build = () => {
      const x1 = input('x1', { shape: [null, 1] });
      const x2 = input('x2', { shape: [null, 2] });
      const h = x1.concatenate(x2).dense(6, { activation: 'tanh' });
      return { h, score: h.dense(1, { activation: 'sigmoid' }), probs: h.dense(3, { activation: 'softmax' }) };
    };
    const heads = (p: ModelState, x: Record<string, Matrix>) => {
      const h = denseRef(concat(x.x1!, x.x2!), p, 'dense_0', 'tanh');
      return { score: denseRef(h, p, 'dense_1', 'sigmoid'), probs: denseRef(h, p, 'dense_2', 'softmax') };
    };

    it('list form names the outputs after their layers', async () => {
      const { score, probs } = build();
      await checkAgainstReference(model([score, probs]), { x1: 1, x2: 2 }, (p, x) => {
        const r = heads(p, x);
        return { dense_1: r.score, dense_2: r.probs };
      });
    });

    it('record form names the outputs by key, in key order', async () => {
      const { score, probs } = build();
      const m = model({ score, probs });
      await checkAgainstReference(m, { x1: 1, x2: 2 }, heads);
      const decoded = onnxProto.onnx.ModelProto.decode(exportInference(m, initParams(m)));
      expect(decoded.graph!.output!.map((o) => o.name)).toEqual(['score', 'probs']);
    });
  });

  it('the reference covers exactly the exported activation names', () => {
    expect([...activationNames].sort()).toEqual(Object.keys(refActivations).sort());
  });

  for (const act of activationNames) {
    it(`(e) activation ${act} through dense(4)`, async () => {
      const x = input('x', { shape: [null, 3] });
      const out = x.dense(4, { activation: act });
      await checkAgainstReference(out, { x: 3 }, (p, v) => ({ dense_0: denseRef(v.x!, p, 'dense_0', act) }));
    });
  }

  it('(e) standalone activation layers (gelu, log_softmax) after a linear dense', async () => {
    const x = input('x', { shape: [null, 3] });
    const out = x.dense(5).activation('gelu').activation('log_softmax');
    await checkAgainstReference(out, { x: 3 }, (p, v) => ({ log_softmax_0: activate('log_softmax', activate('gelu', denseRef(v.x!, p, 'dense_0'))) }));
  });

  for (const rate of [0, 0.5, 0.9]) {
    it(`(f) dropout(${rate}) is the identity at inference`, async () => {
      const x = input('x', { shape: [null, 3] });
      const out = x.dense(6, { activation: 'relu' }).dropout(rate).dense(2);
      const params = await checkAgainstReference(out, { x: 3 }, (p, v) => ({ dense_1: denseRef(denseRef(v.x!, p, 'dense_0', 'relu'), p, 'dense_1') }));
      const decoded = onnxProto.onnx.ModelProto.decode(exportInference(out, params));
      expect(decoded.graph!.node!.map((n) => n.opType)).not.toContain('Dropout');
    });
  }

  it('(g) useBias: false has no bias parameter and adds none', async () => {
    const x = input('x', { shape: [null, 3] });
    const out = x.dense(4, { activation: 'tanh', useBias: false }).dense(2, { useBias: false });
    const params = await checkAgainstReference(out, { x: 3 }, (p, v) => ({
      dense_1: denseRef(denseRef(v.x!, p, 'dense_0', 'tanh', false), p, 'dense_1', 'linear', false),
    }));
    expect(Object.keys(params).sort()).toEqual(['dense_0.kernel', 'dense_1.kernel']);
  });

  it('(g) useBias: false with a non-zero bias initializer elsewhere: only the biased layer adds one', async () => {
    const x = input('x', { shape: [null, 2] });
    const out = x.dense(3, { useBias: false }).dense(2, { biasInitializer: 'ones' });
    const params = await checkAgainstReference(out, { x: 2 }, (p, v) => ({ dense_1: denseRef(denseRef(v.x!, p, 'dense_0', 'linear', false), p, 'dense_1') }));
    expect(Array.from(params['dense_1.bias']!.data)).toEqual([1, 1]);
  });

  it('(h) float64 inputs give float64 parameters and outputs, exact to 1e-12', async () => {
    const out = xorModel('float64');
    const params = await checkAgainstReference(out, { x1: 1, x2: 1 }, (p, x) => ({ dense_1: xorForward(p, x) }), { dtype: 'float64', tol: 1e-12 });
    for (const t of Object.values(params)) expect(t.data).toBeInstanceOf(Float64Array);
    const decoded = onnxProto.onnx.ModelProto.decode(exportInference(out, params));
    const DOUBLE = onnxProto.onnx.TensorProto.DataType.DOUBLE;
    for (const v of [...decoded.graph!.input!, ...decoded.graph!.output!]) expect(v.type!.tensorType!.elemType).toBe(DOUBLE);
  });

  // onnxruntime-node's CPU provider has no float64 Erf kernel ("Could not find an implementation
  // for Erf(13)"), so float64 gelu cannot run there though the model is valid ONNX.
  for (const act of activationNames.filter((a) => a !== 'gelu')) {
    it(`(h) float64 activation ${act} through dense(4)`, async () => {
      const x = input('x', { shape: [null, 3], dtype: 'float64' });
      const out = x.dense(4, { activation: act });
      // LeakyRelu's alpha is an ONNX FLOAT attribute, so 0.01 arrives as float32 (0.00999999977…)
      const tol = act === 'leaky_relu' ? 1e-7 : 1e-12;
      await checkAgainstReference(out, { x: 3 }, (p, v) => ({ dense_0: denseRef(v.x!, p, 'dense_0', act) }), { dtype: 'float64', tol });
    });
  }

  it('(h) float64 through a relu/softmax model', async () => {
    const a = input('a', { shape: [null, 2], dtype: 'float64' });
    const b = input('b', { shape: [null, 3], dtype: 'float64' });
    const out = a.concatenate(b).dense(5, { activation: 'relu' }).dense(3, { activation: 'softmax' });
    await checkAgainstReference(
      out,
      { a: 2, b: 3 },
      (p, x) => ({ dense_1: denseRef(denseRef(concat(x.a!, x.b!), p, 'dense_0', 'relu'), p, 'dense_1', 'softmax') }),
      { dtype: 'float64', tol: 1e-12 },
    );
  });
});

describe('determinism and naming', () => {
  it('same seed → byte-identical parameters and model bytes, even from a model built anew', () => {
    const a = xorModel();
    const b = xorModel();
    const pa = initParams(a, { seed: 7 });
    const pb = initParams(b, { seed: 7 });
    for (const k of Object.keys(pa)) expect(Buffer.compare(Buffer.from(pa[k]!.data.buffer), Buffer.from(pb[k]!.data.buffer))).toBe(0);
    expect(Buffer.compare(Buffer.from(exportInference(a, pa)), Buffer.from(exportInference(b, pb)))).toBe(0);
    expect(Buffer.compare(Buffer.from(exportInference(a, pa)), Buffer.from(exportInference(a, initParams(a, { seed: 7 }))))).toBe(0);
  });

  it('different seed → different parameters and bytes', () => {
    const m = xorModel();
    const p1 = initParams(m, { seed: 1 });
    const p2 = initParams(m, { seed: 2 });
    expect(Array.from(p1['dense_0.kernel']!.data)).not.toEqual(Array.from(p2['dense_0.kernel']!.data));
    expect(Array.from(p1['dense_1.kernel']!.data)).not.toEqual(Array.from(p2['dense_1.kernel']!.data));
    expect(Buffer.compare(Buffer.from(exportInference(m, p1)), Buffer.from(exportInference(m, p2)))).not.toBe(0);
  });

  it('default initializers: glorot-uniform kernels within ±sqrt(6 / (in + out)), zero biases', () => {
    const params = initParams(xorModel(), { seed: 3 });
    const limit0 = Math.sqrt(6 / (2 + 8));
    const k0 = Array.from(params['dense_0.kernel']!.data);
    expect(k0.every((v) => Math.abs(v) <= limit0)).toBe(true);
    expect(new Set(k0).size).toBe(16);
    expect(Array.from(params['dense_0.bias']!.data)).toEqual(new Array(8).fill(0));
  });

  it("a user layer name wins: dense(8, { name: 'hidden' }) → 'hidden.kernel'; unnamed layers still count from 0", async () => {
    const x = input('x', { shape: [null, 2] });
    const out = x.dense(8, { name: 'hidden', activation: 'relu' }).dense(1);
    const params = initParams(out, { seed: 5 });
    expect(Object.keys(params).sort()).toEqual(['dense_0.bias', 'dense_0.kernel', 'hidden.bias', 'hidden.kernel']);
    expect(params['hidden.kernel']!.dims).toEqual([2, 8]);
    await checkAgainstReference(out, { x: 2 }, (p, v) => ({ dense_0: denseRef(denseRef(v.x!, p, 'hidden', 'relu'), p, 'dense_0') }), { params });
  });

  it("a user name 'dense_0' on a later layer pushes the generated names past it", () => {
    const x = input('x', { shape: [null, 2] });
    const out = x.dense(3).dense(1, { name: 'dense_0' });
    const params = initParams(out);
    expect(Object.keys(params).sort()).toEqual(['dense_0.bias', 'dense_0.kernel', 'dense_1.bias', 'dense_1.kernel']);
    expect(params['dense_1.kernel']!.dims).toEqual([2, 3]);
    expect(params['dense_0.kernel']!.dims).toEqual([3, 1]);
  });
});

describe('the ONNX file', () => {
  const out = xorModel();
  const decoded = onnxProto.onnx.ModelProto.decode(exportInference(out, initParams(out)));
  const graph = decoded.graph!;
  const dims = (v: onnxProto.onnx.IValueInfoProto) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));

  it("declares a symbolic 'batch' dimension on inputs and outputs", () => {
    expect(graph.input!.map((v) => [v.name, dims(v)])).toEqual([
      ['x1', ['batch', 1]],
      ['x2', ['batch', 1]],
    ]);
    expect(graph.output!.map((v) => [v.name, dims(v)])).toEqual([['dense_1', ['batch', 1]]]);
  });

  it('imports exactly OPSET (18) in the default domain, and every node is in the default domain', () => {
    expect(OPSET).toBe(18);
    expect(decoded.opsetImport.map((o) => [o.domain ?? '', Number(o.version)])).toEqual([['', OPSET]]);
    expect(graph.node!.length).toBeGreaterThan(0);
    for (const n of graph.node!) expect(n.domain ?? '').toBe('');
  });

  it('stores the parameters as initializers under their state names', () => {
    expect(graph.initializer!.map((t) => t.name)).toEqual(expect.arrayContaining(['dense_0.kernel', 'dense_0.bias', 'dense_1.kernel', 'dense_1.bias']));
  });
});
