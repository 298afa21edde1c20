import { describe, expect, it } from 'vitest';
import { gradients } from '../autodiff.js';
import { GraphBuilder } from '../ir/builder.js';
import { f32, f64, runGraph } from '../testing/run-graph.js';
import { elementCount } from '../ir/element-count.js';

describe('variadic elementwise shape rules (Sum, Mean, Min, Max)', () => {
  it.each(['Sum', 'Mean', 'Min', 'Max'] as const)('%s broadcasts any number of inputs, symbolic batch included, as onnxruntime does', async (op) => {
    const b = new GraphBuilder();
    const dtype = op === 'Mean' ? 'float32' : 'float64';
    const [p, q, r] = [b.input('p', dtype, ['batch', 1, 4]), b.input('q', dtype, [3, 1]), b.input('r', dtype, [4])];
    expect(b.op(op, [p]).shape).toEqual(['batch', 1, 4]);
    const y = b.op(op, [p, q, r]);
    expect(y.shape).toEqual(['batch', 3, 4]);
    const fill = (dims: number[]) => (dtype === 'float32' ? f32 : f64)(dims, new Array<number>(elementCount(dims)).fill(1));
    expect((await runGraph(b, { y }, { p: fill([2, 1, 4]), q: fill([3, 1]), r: fill([4]) })).y!.dims).toEqual([2, 3, 4]);
    expect(() => b.op(op, [p, b.input('s', dtype, [5])])).toThrow(/cannot be broadcast together/);
    expect(() => b.op(op, [])).toThrow(new RegExp(`^node ${op}_\\d+: needs at least one input$`));
  });
});

describe('Gelu (opset 20)', () => {
  it('runs in onnxruntime-node 1.30 in an opset-20 model, both approximations, against the formulas', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['batch']);
    const xs = [-2, -0.5, 0, 1, 3];
    const out = await runGraph(b, { exact: b.op('Gelu', [x]), tanh: b.op('Gelu', [x], { approximate: 'tanh' }) }, { x: f32([5], xs) }, 20);
    // Φ(x) at these points, from tables: Φ(−2) = 0.0227501319, Φ(−0.5) = 0.3085375387, Φ(1) = 0.8413447461, Φ(3) = 0.9986501020
    const cdf = [0.0227501319, 0.3085375387, 0.5, 0.8413447461, 0.998650102];
    out.exact!.data.forEach((v, i) => expect(v).toBeCloseTo(xs[i]! * cdf[i]!, 6));
    const tanhGelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    out.tanh!.data.forEach((v, i) => expect(v).toBeCloseTo(tanhGelu(xs[i]!), 6));
  });

  it('refuses an approximation other than none and tanh', () => {
    const b = new GraphBuilder();
    expect(() => b.op('Gelu', [b.input('x', 'float32', [2])], { approximate: 'erf' })).toThrow(/^node Gelu_0: Gelu's approximate must be 'none' or 'tanh', got 'erf'$/);
  });
});

describe('Floor, Ceil and Round', () => {
  it.each(['Floor', 'Ceil', 'Round'] as const)('%s passes no gradient: x gets zeros, and the path through it adds nothing', async (op) => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float64', [3]);
    // loss = Σ x + Σ op(x): only the first term reaches x
    const loss = b.op('ReduceSum', [b.op('Add', [x, b.op(op, [x])])], { keepdims: 0 });
    const [g] = gradients(b, loss, [x]);
    expect((await runGraph(b, { g: g! }, { x: f64([3], [0.3, 1.7, -2.5]) })).g!.data).toEqual([1, 1, 1]);
  });
});
