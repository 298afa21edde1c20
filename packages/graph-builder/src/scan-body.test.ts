import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './ir/builder.js';
import { adam, exportTrainStep, initParams, input, model, sgd, type LossOptions, type ModelLike, type Optimizer } from './index.js';
import { ScanBody } from './scan-body.js';
import { stackedNode } from './stacked.js';
import { runGraph, type Fed } from './testing/run-graph.js';
import { seededUniform } from './testing/reference.js';
import type { SubGraph, Value } from './ir/types.js';

const K = 4;
const ROWS = 5;

type Data = Float64Array | Int32Array;
interface StepData {
  readonly x: Float64Array;
  readonly targets: Readonly<Record<string, Data>>;
}

const t = (data: Data, dims: readonly number[]) => new ort.Tensor(data instanceof Int32Array ? 'int32' : 'float64', data, dims);

/** Run K single steps, then one fused run of the same K steps, from the same parameters. */
async function singleAndFused(net: ModelLike, options: LossOptions, optimizer: Optimizer, steps: readonly StepData[], targetDims: Readonly<Record<string, readonly number[]>>) {
  const params = initParams(net, { seed: 5 });
  const single = exportTrainStep(net, { ...options, optimizer });
  const fused = exportTrainStep(net, { ...options, optimizer, stepsPerRun: K, predictions: false });
  const sig = single.signature;
  const initial = (): Record<string, ort.Tensor> => ({
    ...Object.fromEntries(sig.params.map((p) => [p.name, t(params[p.name]!.data as Float64Array, p.dims)])),
    ...Object.fromEntries(sig.state.map((s) => [s.name, t(new Float64Array(s.dims.reduce((a, d) => a * d, 1)), s.dims)])),
  });
  const lr = t(Float64Array.of(0.05), []);
  const next = (out: ort.InferenceSession.OnnxValueMapType) => Object.fromEntries([...sig.params, ...sig.state].map((p) => [p.name, out[p.next]!]));

  const one = await ort.InferenceSession.create(single.bytes);
  let state = initial();
  const losses: number[] = [];
  for (const [i, s] of steps.entries()) {
    const targets = Object.fromEntries(Object.entries(sig.targets).map(([o, tt]) => [tt.name, t(s.targets[o]!, [ROWS, ...targetDims[o]!])]));
    const out = await one.run({ x: t(s.x, [ROWS, 3]), ...targets, ...state, lr, step: t(Float64Array.of(i + 1), []) });
    losses.push(Number(out.loss!.data[0]));
    state = next(out);
  }
  await one.release();

  const many = await ort.InferenceSession.create(fused.bytes);
  const stack = <T extends Data>(parts: readonly T[]): T => {
    const all = new (parts[0]!.constructor as new (n: number) => T)(parts.length * parts[0]!.length);
    parts.forEach((p, i) => all.set(p as never, i * p.length));
    return all;
  };
  const targets = Object.fromEntries(Object.entries(sig.targets).map(([o, tt]) => [tt.name, t(stack(steps.map((s) => s.targets[o]!)), [K, ROWS, ...targetDims[o]!])]));
  const out = await many.run({ x: t(stack(steps.map((s) => s.x)), [K, ROWS, 3]), ...targets, ...initial(), lr, step: t(Float64Array.of(1), []) });
  await many.release();
  return { single: { losses, state }, fused: { losses: Array.from(out.loss!.data as Float64Array), state: next(out) }, fusedBytes: fused.bytes };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));

/** The op types of the fused model's Scan body and of its main graph. */
function opsOf(bytes: Uint8Array): { body: string[]; outer: string[] } {
  const graph = onnxProto.onnx.ModelProto.decode(bytes).graph!;
  const scan = graph.node!.find((n) => n.opType === 'Scan')!;
  return { body: scan.attribute!.find((a) => a.name === 'body')!.g!.node!.map((n) => n.opType!), outer: graph.node!.map((n) => n.opType!) };
}

describe('the fused model (a Scan of K steps, loss and data preparation outside the body) equals K single steps', () => {
  const x = input('x', { shape: [null, 3], dtype: 'float64' });
  const probabilities = model({ a: x.dense(1, { activation: 'sigmoid' }), b: x.dense(3, { activation: 'softmax' }) });
  const logits = model({ a: x.dense(1), b: x.dense(3) });
  const regression = model({ a: x.dense(2), b: x.dense(2, { activation: 'tanh' }) });
  const next = seededUniform(17);
  const classes = () => Int32Array.from({ length: ROWS }, () => Math.floor(next() * 3));
  const oneHot = (c: Int32Array) => Float64Array.from({ length: ROWS * 3 }, (_, i) => (c[Math.floor(i / 3)] === i % 3 ? 1 : 0));
  const floats = (n: number) => Float64Array.from({ length: n }, () => 2 * next() - 1);
  const bits = () => Float64Array.from({ length: ROWS }, () => (next() < 0.5 ? 0 : 1));
  const cases: { name: string; net: ModelLike; options: LossOptions; targets: () => Record<string, Data>; dims: Record<string, number[]>; bodyFree: string[] }[] = [
    {
      name: 'sigmoid + binary cross-entropy, softmax + categorical cross-entropy (one-hot floats)',
      net: probabilities,
      options: { loss: { a: 'binary_cross_entropy', b: 'categorical_cross_entropy' } },
      targets: () => ({ a: bits(), b: oneHot(classes()) }),
      dims: { a: [1], b: [3] },
      bodyFree: ['Softplus', 'LogSoftmax', 'ReduceMean'],
    },
    {
      name: 'int32 targets: binary cross-entropy and sparse categorical cross-entropy (Cast and OneHot outside)',
      net: probabilities,
      options: { loss: { a: 'binary_cross_entropy', b: 'sparse_categorical_cross_entropy' }, targetDType: 'int32' },
      targets: () => ({ a: Int32Array.from(bits()), b: classes() }),
      dims: { a: [1], b: [] },
      bodyFree: ['Cast', 'OneHot', 'LogSoftmax', 'ReduceMean'],
    },
    {
      name: 'fromLogits cross-entropies',
      net: logits,
      options: { loss: { a: { name: 'binary_cross_entropy', fromLogits: true }, b: { name: 'categorical_cross_entropy', fromLogits: true } } },
      targets: () => ({ a: bits(), b: oneHot(classes()) }),
      dims: { a: [1], b: [3] },
      bodyFree: ['Softplus', 'LogSoftmax'],
    },
    {
      name: 'mean squared and absolute errors, weighted 0.25 and 3',
      net: regression,
      options: { loss: { a: 'mean_squared_error', b: 'mean_absolute_error' }, lossWeights: { a: 0.25, b: 3 } },
      targets: () => ({ a: floats(ROWS * 2), b: floats(ROWS * 2) }),
      dims: { a: [2], b: [2] },
      bodyFree: ['ReduceMean'],
    },
  ];
  for (const c of cases) {
    for (const optimizer of [sgd({ learningRate: 0.05 }), adam({ learningRate: 0.05 })]) {
      it(`${c.name}, ${optimizer.name}`, async () => {
        const steps = Array.from({ length: K }, () => ({ x: floats(ROWS * 3), targets: c.targets() }));
        const { single, fused, fusedBytes } = await singleAndFused(c.net, c.options, optimizer, steps, c.dims);
        expect(maxDiff(fused.losses, single.losses)).toBeLessThanOrEqual(1e-12);
        for (const [name, v] of Object.entries(single.state)) expect(maxDiff(fused.state[name]!.data as Float64Array, v.data as Float64Array), name).toBeLessThanOrEqual(1e-12);
        const { body } = opsOf(fusedBytes);
        for (const op of c.bodyFree) expect(body, op).not.toContain(op);
        expect(body).not.toContain('Gather');
      });
    }
  }
});

describe('stackedNode: a per-step node applied to all steps at once equals the node applied to each step', () => {
  const next = seededUniform(3);
  const f64 = (dims: readonly number[]): Fed => ({ dims, data: Float64Array.from({ length: dims.reduce((a, d) => a * d, 1) }, () => 2 * next() - 1) });
  const cases: { name: string; shapes: number[][]; stacked: boolean[]; build: (b: GraphBuilder, xs: Value[]) => Value }[] = [
    { name: 'Mul, both stacked', shapes: [[3, 2], [3, 2]], stacked: [true, true], build: (b, [p, q]) => b.op('Mul', [p!, q!]) },
    { name: 'Sub, one stacked, the other shared', shapes: [[3, 2], [2]], stacked: [true, false], build: (b, [p, q]) => b.op('Sub', [p!, q!]) },
    { name: 'ReduceMean over all axes', shapes: [[3, 2]], stacked: [true], build: (b, [p]) => b.op('ReduceMean', [p!], { keepdims: 0 }) },
    { name: 'ReduceSum over axis 1, kept', shapes: [[3, 2]], stacked: [true], build: (b, [p]) => b.op('ReduceSum', [p!, b.constant([1], 'int64')], { keepdims: 1 }) },
    { name: 'ReduceMax over axis -2', shapes: [[3, 2]], stacked: [true], build: (b, [p]) => b.op('ReduceMax', [p!, b.constant([-2], 'int64')], { keepdims: 0 }) },
    { name: 'LogSoftmax along axis 0', shapes: [[3, 2]], stacked: [true], build: (b, [p]) => b.op('LogSoftmax', [p!], { axis: 0 }) },
    { name: 'Concat along axis 1', shapes: [[3, 1], [3, 2]], stacked: [true, true], build: (b, [p, q]) => b.op('Concat', [p!, q!], { axis: 1 }) },
    { name: 'Transpose, perm given', shapes: [[3, 2, 4]], stacked: [true], build: (b, [p]) => b.op('Transpose', [p!], { perm: [0, 2, 1] }) },
    { name: 'Transpose, reversed by default', shapes: [[3, 2, 4]], stacked: [true], build: (b, [p]) => b.op('Transpose', [p!]) },
    { name: 'Reshape with 0 and -1', shapes: [[3, 2, 4]], stacked: [true], build: (b, [p]) => b.op('Reshape', [p!, b.constant([0, -1], 'int64')]) },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const feeds = c.shapes.map((s, i) => (c.stacked[i] ? f64([K, ...s]) : f64(s)));
      // per step: K runs of the node on slices
      const perStep: number[] = [];
      for (let k = 0; k < K; k++) {
        const b = new GraphBuilder();
        const xs = c.shapes.map((s, i) => b.input(`x${i}`, 'float64', s));
        const slice = (f: Fed, i: number): Fed => (c.stacked[i] ? { dims: f.dims.slice(1), data: (f.data as Float64Array).subarray((k * f.data.length) / K, ((k + 1) * f.data.length) / K) } : f);
        perStep.push(...(await runGraph(b, { y: c.build(b, xs) }, Object.fromEntries(feeds.map((f, i) => [`x${i}`, slice(f, i)])))).y!.data);
      }
      // all steps: the node's stacked form
      const b = new GraphBuilder();
      const step = new GraphBuilder();
      const xs = c.shapes.map((s, i) => step.input(`x${i}`, 'float64', s));
      const node = c.build(step, xs).producer!;
      const outer = c.shapes.map((s, i) => b.input(`x${i}`, 'float64', c.stacked[i] ? ['steps', ...s] : s));
      const form = stackedNode(b, node, outer, c.stacked)!;
      expect(form).toBeDefined();
      const all = await runGraph(b, { y: b.op(form.op, form.inputs, form.attrs as never) }, Object.fromEntries(feeds.map((f, i) => [`x${i}`, f])));
      expect(all.y!.dims[0]).toBe(K);
      expect(maxDiff(all.y!.data, perStep)).toBeLessThanOrEqual(1e-15);
    });
  }

  it('has no stacked form for an operand of lower rank (it would broadcast against the wrong axes), nor for ops it does not know', () => {
    const b = new GraphBuilder();
    const step = new GraphBuilder();
    const [p, q] = [step.input('p', 'float64', [3, 2]), step.input('q', 'float64', [2])];
    expect(stackedNode(b, step.op('Add', [p, q]).producer!, [p, q], [true, true])).toBeUndefined();
    expect(stackedNode(b, step.op('Flatten', [p]).producer!, [p], [true])).toBeUndefined();
  });
});

describe('ScanBody', () => {
  it('a per-step-only value that has no stacked form is scanned out of the body instead, and still right', async () => {
    const b = new GraphBuilder();
    const xs = b.input('xs', 'float64', ['steps', 2, 3]);
    const s0 = b.input('s0', 'float64', [3]);
    const scan = new ScanBody(b);
    const s = scan.state('s', 'float64', [3]);
    const x = scan.slice(xs);
    const nextS = scan.body.op('Add', [s, scan.body.op('ReduceSum', [x, scan.body.constant([0], 'int64')], { keepdims: 0 })]);
    // Flatten has no stacked form: the per-step value stays in the body
    const only = scan.body.op('ReduceSum', [scan.body.op('Flatten', [scan.body.op('Mul', [x, s])], { axis: 1 })], { keepdims: 0 });
    const out = scan.close('body', [s0], [nextS], [], only);
    const xsData = Float64Array.from({ length: K * 6 }, (_, i) => i / 7 - 1);
    const s0Data = Float64Array.of(0.5, -1, 2);
    const result = await runGraph(b, { last: out.state[0]!, only: out.only! }, { xs: { dims: [K, 2, 3], data: xsData }, s0: { dims: [3], data: s0Data } });
    // the reference: the same recurrence by hand
    const state = Array.from(s0Data);
    const want: number[] = [];
    for (let k = 0; k < K; k++) {
      const rows = [0, 1].map((r) => Array.from(xsData.subarray(k * 6 + r * 3, k * 6 + r * 3 + 3)));
      want.push(rows.reduce((a, row) => a + row.reduce((c, v, j) => c + v * state[j]!, 0), 0));
      for (let j = 0; j < 3; j++) state[j] = state[j]! + rows[0]![j]! + rows[1]![j]!;
    }
    expect(maxDiff(result.only!.data, want)).toBeLessThanOrEqual(1e-12);
    expect(maxDiff(result.last!.data, state)).toBeLessThanOrEqual(1e-12);
    const body = (b.nodes.find((n) => n.op === 'Scan')!.attrs.body as SubGraph).nodes.map((n) => n.op);
    expect(body).toContain('Flatten');
  });

  it('refuses a state input after a scanned one, and a close with the wrong number of states', () => {
    const b = new GraphBuilder();
    const scan = new ScanBody(b);
    const s = scan.state('s', 'float64', [1]);
    scan.slice(b.input('xs', 'float64', ['steps', 1]));
    expect(() => scan.state('late', 'float64', [1])).toThrow(/^ScanBody: state input 'late' after a scanned input$/);
    expect(() => scan.close('body', [], [s], [])).toThrow(/^ScanBody: 1 state inputs, given 0 initial and 1 next values$/);
  });
});
