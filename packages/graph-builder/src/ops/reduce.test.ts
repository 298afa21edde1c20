import { describe, expect, it } from 'vitest';
import { gradients } from '../autodiff.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Shape, Value } from '../ir/types.js';
import { f64, runGraph } from '../testing/run-graph.js';

const REDUCTIONS = ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceSumSquare', 'ReduceL2'] as const;

const setup = (shape: Shape) => {
  const b = new GraphBuilder();
  return { b, x: b.input('x', 'float64', shape), int64: (v: readonly number[]) => b.constant(v, 'int64') };
};

/** The gradient of Σ w·op(x) for the given x, from the rule, run in onnxruntime. */
async function gradientAt(op: (typeof REDUCTIONS)[number], x: number[][], axes: number[], w: number[]): Promise<number[]> {
  const { b, x: input, int64 } = setup([x.length, x[0]!.length]);
  const y = b.op(op, [input, int64(axes)], { keepdims: 0 });
  const [g] = gradients(b, b.op('ReduceSum', [b.op('Mul', [y, b.constant(w, 'float64')])], { keepdims: 0 }), [input]);
  return (await runGraph(b, { g: g! }, { x: f64([x.length, x[0]!.length], x.flat()) })).g!.data;
}

describe('reduction shape rules (opset 18: axes an optional input)', () => {
  it.each(REDUCTIONS)('%s: keepdims, negative and repeated axes, all axes, noop_with_empty_axes, symbolic batch', async (op) => {
    const { b, x, int64 } = setup(['batch', 3, 4]);
    expect(b.op(op, [x, int64([-1, 1, 2])], { keepdims: 0 }).shape).toEqual(['batch']);
    expect(b.op(op, [x, int64([0])]).shape).toEqual([1, 3, 4]);
    expect(b.op(op, [x], { keepdims: 0 }).shape).toEqual([]);
    expect(b.op(op, [x, int64([])], { keepdims: 1 }).shape).toEqual([1, 1, 1]);
    expect(b.op(op, [x], { noop_with_empty_axes: 1, keepdims: 0 }).shape).toEqual(['batch', 3, 4]);
    const y = b.op(op, [x, int64([2])], { keepdims: 0 });
    expect((await runGraph(b, { y }, { x: f64([2, 3, 4], Array.from({ length: 24 }, (_, i) => i)) })).y!.dims).toEqual([2, 3]);
    expect(() => b.op(op, [x, int64([3])])).toThrow(new RegExp(`^node ${op}_\\d+: axis 3 is out of range for rank 3$`));
  });

  it('noop_with_empty_axes reduces each element alone, as onnxruntime does: x, x², |x|', async () => {
    const { b, x } = setup([2, 2]);
    const outputs = Object.fromEntries(REDUCTIONS.map((op) => [op, b.op(op, [x], { noop_with_empty_axes: 1 })]));
    const out = await runGraph(b, outputs, { x: f64([2, 2], [-1, 2, -3, 4]) });
    expect(Object.fromEntries(REDUCTIONS.map((op) => [op, out[op]!.data]))).toEqual({
      ReduceSum: [-1, 2, -3, 4],
      ReduceMean: [-1, 2, -3, 4],
      ReduceMax: [-1, 2, -3, 4],
      ReduceMin: [-1, 2, -3, 4],
      ReduceSumSquare: [1, 4, 9, 16],
      ReduceL2: [1, 2, 3, 4],
    });
  });
});

describe('reduction gradients at the edges of their domain', () => {
  it('ReduceMax: tied maxima share the gradient equally', async () => {
    expect(await gradientAt('ReduceMax', [[1, 3, 3], [2, 2, 2]], [1], [6, 9])).toEqual([0, 3, 3, 3, 3, 3]);
  });

  it('ReduceMin: tied minima share the gradient equally, across axis 0 too', async () => {
    expect(await gradientAt('ReduceMin', [[1, 5, 0], [1, 4, 0]], [0], [4, 7, 10])).toEqual([2, 0, 5, 2, 7, 5]);
  });

  it('ReduceL2 of a zero slice: gradient 0 there (not NaN), x·w/‖x‖ elsewhere', async () => {
    expect(await gradientAt('ReduceL2', [[0, 0], [3, 4]], [1], [2, 10])).toEqual([0, 0, 6, 8]);
  });
});

describe('Min and Max share the gradient among tied inputs', () => {
  it('two inputs equal at some elements: half each there', async () => {
    const b = new GraphBuilder();
    const [p, q] = [b.input('p', 'float64', [4]), b.input('q', 'float64', [4])];
    const loss = (y: Value) => b.op('ReduceSum', [b.op('Mul', [y, b.constant([2, 4, 6, 8], 'float64')])], { keepdims: 0 });
    const [dpMax, dqMax] = gradients(b, loss(b.op('Max', [p, q])), [p, q]);
    const [dpMin, dqMin] = gradients(b, loss(b.op('Min', [p, q])), [p, q]);
    const out = await runGraph(b, { dpMax: dpMax!, dqMax: dqMax!, dpMin: dpMin!, dqMin: dqMin! }, { p: f64([4], [1, 2, 3, 4]), q: f64([4], [1, 0, 5, 4]) });
    expect(out.dpMax!.data).toEqual([1, 4, 0, 4]);
    expect(out.dqMax!.data).toEqual([1, 0, 6, 4]);
    expect(out.dpMin!.data).toEqual([1, 0, 6, 4]);
    expect(out.dqMin!.data).toEqual([1, 4, 0, 4]);
  });

  it('three inputs, one broadcast, all tied: a third each, summed over the broadcast', async () => {
    const b = new GraphBuilder();
    const [p, q, r] = [b.input('p', 'float64', [2, 2]), b.input('q', 'float64', [2]), b.input('r', 'float64', [2, 2])];
    const y = b.op('Max', [p, q, r]);
    const grads = gradients(b, b.op('ReduceSum', [b.op('Mul', [y, b.constant([3, 6, 9, 12], 'float64', [2, 2])])], { keepdims: 0 }), [p, q, r]);
    const out = await runGraph(b, { dp: grads[0]!, dq: grads[1]!, dr: grads[2]! }, { p: f64([2, 2], [7, 7, 7, 7]), q: f64([2], [7, 7]), r: f64([2, 2], [7, 7, 7, 7]) });
    expect([out.dp!.data, out.dq!.data, out.dr!.data]).toEqual([[1, 2, 3, 4], [1 + 3, 2 + 4], [1, 2, 3, 4]]);
  });
});
