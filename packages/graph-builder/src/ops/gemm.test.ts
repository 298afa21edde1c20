import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../ir/builder.js';
import { f64, runGraph } from '../testing/run-graph.js';

describe('Gemm shape rule', () => {
  const setup = (a: (string | number)[], w: (string | number)[], c?: (string | number)[]) => {
    const b = new GraphBuilder();
    return { b, inputs: [b.input('a', 'float64', a), b.input('w', 'float64', w), ...(c ? [b.input('c', 'float64', c)] : [])] };
  };

  it.each([
    [0, 0, [3, 4], [4, 2]],
    [1, 0, [4, 3], [4, 2]],
    [0, 1, [3, 4], [2, 4]],
    [1, 1, [4, 3], [2, 4]],
  ])('transA %i, transB %i: [%j] × [%j] → [3, 2]', (transA, transB, a, w) => {
    const { b, inputs } = setup(a, w, [2]);
    expect(b.op('Gemm', inputs, { transA, transB }).shape).toEqual([3, 2]);
  });

  it('keeps a symbolic batch, with or without C, and agrees with onnxruntime', async () => {
    const { b, inputs } = setup(['batch', 4], [2, 4], [1, 2]);
    const y = b.op('Gemm', inputs, { transB: 1, alpha: 2, beta: 0.5 });
    expect(y.shape).toEqual(['batch', 2]);
    expect(b.op('Gemm', inputs.slice(0, 2), { transB: 1 }).shape).toEqual(['batch', 2]);
    // y = 2·a·wᵀ + 0.5·c, by hand
    const out = await runGraph(b, { y }, { a: f64([1, 4], [1, 2, 3, 4]), w: f64([2, 4], [1, 0, 0, 0, 0, 1, 1, 1]), c: f64([1, 2], [10, 20]) });
    expect(out.y).toEqual({ dims: [1, 2], data: [2 * 1 + 5, 2 * 9 + 10] });
  });

  it('refuses operands that are not matrices, inner dims that differ, and a C that does not broadcast', () => {
    const r = setup([3, 4, 1], [4, 2]);
    expect(() => r.b.op('Gemm', r.inputs)).toThrow(/^node Gemm_0: Gemm takes 2-D A and B, got \[3, 4, 1\] and \[4, 2\]$/);
    const s = setup([3, 4], [3, 2]);
    expect(() => s.b.op('Gemm', s.inputs)).toThrow(/^node Gemm_0: Gemm inner dimensions differ: A' is \[3, 4\], B' is \[3, 2\] \(transA 0, transB 0\)$/);
    const t = setup([3, 4], [4, 2], [3]);
    expect(() => t.b.op('Gemm', t.inputs)).toThrow(/^node Gemm_0: Gemm's C \[3\] does not broadcast to \[3, 2\]$/);
    const u = setup([3, 4], [4, 2], [2, 3, 2]);
    expect(() => u.b.op('Gemm', u.inputs)).toThrow(/Gemm's C \[2, 3, 2\] does not broadcast to \[3, 2\]/);
    const b = new GraphBuilder();
    expect(() => b.op('Gemm', [b.input('a', 'float64', [3, 4]), b.input('w', 'float32', [4, 2])])).toThrow(/^node Gemm_0: inputs mix float64 and float32$/);
  });
});
