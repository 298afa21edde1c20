import { describe, expect, it } from 'vitest';
import { gradients } from '../autodiff.js';
import { GraphBuilder, tensorConst } from '../ir/builder.js';
import { f64, i64, runGraph } from '../testing/run-graph.js';

describe('Constant', () => {
  it('takes its dtype and shape from the one value attribute given, and feeds shape rules downstream', async () => {
    const b = new GraphBuilder();
    const tensor = b.op('Constant', [], { value: tensorConst('float64', [2, 2], [1, 2, 3, 4]) });
    const float = b.op('Constant', [], { value_float: 0.5 });
    const floats = b.op('Constant', [], { value_floats: [1, 2, 3] });
    const int = b.op('Constant', [], { value_int: 7 });
    const ints = b.op('Constant', [], { value_ints: [2, -1] });
    expect([tensor, float, floats, int, ints].map((v) => [v.dtype, v.shape])).toEqual([
      ['float64', [2, 2]],
      ['float32', []],
      ['float32', [3]],
      ['int64', []],
      ['int64', [2]],
    ]);
    // A Reshape whose target is a Constant node has a static shape.
    const x = b.input('x', 'float64', [3, 4]);
    const y = b.op('Reshape', [x, ints]);
    expect(y.shape).toEqual([2, 6]);
    const out = await runGraph(b, { tensor, float, floats, int, ints, y }, { x: f64([3, 4], new Array<number>(12).fill(0)) });
    expect([out.tensor!.data, out.float!.data, out.floats!.data, out.int!.data, out.ints!.data]).toEqual([[1, 2, 3, 4], [0.5], [1, 2, 3], [7], [2, -1]]);
  });

  it('refuses no value and two values', () => {
    const b = new GraphBuilder();
    expect(() => b.op('Constant', [])).toThrow(/^node Constant_0: Constant needs exactly one of value, value_float, value_floats, value_int, value_ints, got none$/);
    expect(() => b.op('Constant', [], { value_int: 1, value_ints: [1] })).toThrow(/got value_int, value_ints$/);
  });
});

describe('ConstantOfShape, Range and NonZero', () => {
  it('ConstantOfShape: the dims of a Shape (symbolic ones too), a constant shape, or a computed one of known length', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float64', ['batch', 3]);
    const zeros = b.op('ConstantOfShape', [b.op('Shape', [x])]);
    expect([zeros.dtype, zeros.shape]).toEqual(['float32', ['batch', 3]]);
    const sevens = b.op('ConstantOfShape', [b.constant([2, 1], 'int64')], { value: tensorConst('int64', [1], [7]) });
    expect([sevens.dtype, sevens.shape]).toEqual(['int64', [2, 1]]);
    const computed = b.op('ConstantOfShape', [b.op('Add', [b.op('Shape', [x]), b.constant(1, 'int64')])]);
    expect(computed.shape).toEqual(['?', '?']);
    const out = await runGraph(b, { zeros, sevens, computed }, { x: f64([2, 3], [1, 2, 3, 4, 5, 6]) });
    expect([out.zeros!.dims, out.sevens!.data, out.computed!.dims]).toEqual([[2, 3], [7, 7], [3, 4]]);
    expect(() => b.op('ConstantOfShape', [b.constant([2], 'int32')])).toThrow(/^node ConstantOfShape_3: ConstantOfShape takes a 1-D int64 shape, got int32 \[1\]$/);
    expect(() => b.op('ConstantOfShape', [b.constant([2], 'int64')], { value: tensorConst('float32', [2], [1, 2]) })).toThrow(/ConstantOfShape's value must hold one element, got 2$/);
  });

  it('Range: ceil((limit − start) / delta) elements when the operands are constants, unknown otherwise', async () => {
    const b = new GraphBuilder();
    const int = (v: number) => b.constant(v, 'int64');
    const down = b.op('Range', [int(10), int(3), int(-3)]);
    const empty = b.op('Range', [int(5), int(1), int(1)]);
    const n = b.input('n', 'int64', []);
    const upToN = b.op('Range', [int(0), n, int(1)]);
    expect([down.shape, empty.shape, upToN.shape]).toEqual([[3], [0], ['?']]);
    const out = await runGraph(b, { down, empty, upToN }, { n: i64([], [4]) });
    expect([out.down!.data, out.empty!.data, out.upToN!.data]).toEqual([[10, 7, 4], [], [0, 1, 2, 3]]);
    expect(() => b.op('Range', [int(0), int(3), int(0)])).toThrow(/^node Range_3: Range's delta must not be 0$/);
    expect(() => b.op('Range', [int(0), b.constant([3], 'int64'), int(1)])).toThrow(/^node Range_4: Range's limit must be a scalar, got \[1\]$/);
    expect(() => b.op('Range', [int(0), b.constant(3, 'float64'), int(1)])).toThrow(/^node Range_5: inputs mix int64 and float64$/);
  });

  it('NonZero: [rank, count] with count a symbol of its own', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float64', ['batch', 3]);
    const where = b.op('NonZero', [b.op('Greater', [x, b.constant(0, 'float64')])]);
    expect(where.shape).toEqual([2, 'NonZero_0_count']);
    const out = await runGraph(b, { where }, { x: f64([2, 3], [1, 0, 0, 0, 2, 3]) });
    expect(out.where).toEqual({ dims: [2, 3], data: [0, 1, 1, 0, 1, 2] });
  });
});

describe('logic and comparison ops', () => {
  it('GreaterOrEqual, LessOrEqual, And, Or, Xor: bool of the broadcast shape, by their truth tables', async () => {
    const b = new GraphBuilder();
    const [p, q] = [b.input('p', 'float64', ['batch', 1]), b.input('q', 'float64', [4])];
    const ge = b.op('GreaterOrEqual', [p, q]);
    const le = b.op('LessOrEqual', [p, q]);
    expect([ge.dtype, ge.shape]).toEqual(['bool', ['batch', 4]]);
    const outputs = { ge, le, and: b.op('And', [ge, le]), or: b.op('Or', [ge, le]), xor: b.op('Xor', [ge, le]) };
    const out = await runGraph(b, outputs, { p: f64([1, 1], [2]), q: f64([4], [1, 2, 3, 2]) });
    expect(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data]))).toEqual({
      ge: [1, 1, 0, 1],
      le: [0, 1, 1, 1],
      and: [0, 1, 0, 1],
      or: [1, 1, 1, 1],
      xor: [1, 0, 1, 0],
    });
    expect(() => b.op('And', [ge, p])).toThrow(/^node And_1: input 1 must be bool, got float64$/);
  });

  it('Mod: the sign of the divisor, or of the dividend with fmod 1', async () => {
    const b = new GraphBuilder();
    const [p, q] = [b.input('p', 'int64', [4]), b.input('q', 'int64', [4])];
    const fp = [b.input('fp', 'float64', [2]), b.input('fq', 'float64', [2])] as const;
    const out = await runGraph(b, { mod: b.op('Mod', [p, q]), fmod: b.op('Mod', [fp[0], fp[1]], { fmod: 1 }) }, {
      p: i64([4], [7, -7, 7, -7]),
      q: i64([4], [3, 3, -3, -3]),
      fp: f64([2], [-7.5, 7.5]),
      fq: f64([2], [2, -2]),
    });
    expect(out.mod!.data).toEqual([1, 2, -2, -1]);
    expect(out.fmod!.data).toEqual([-1.5, 1.5]);
  });
});

describe('Trilu and CumSum', () => {
  it('Trilu keeps the shape (a causal mask from a symbolic length) and needs rank 2', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float64', ['seq', 'seq']);
    const lower = b.op('Trilu', [x], { upper: 0 });
    expect(lower.shape).toEqual(['seq', 'seq']);
    const out = await runGraph(b, { lower }, { x: f64([3, 3], [1, 1, 1, 1, 1, 1, 1, 1, 1]) });
    expect(out.lower!.data).toEqual([1, 0, 0, 1, 1, 0, 1, 1, 1]);
    expect(() => b.op('Trilu', [b.input('v', 'float64', [3])])).toThrow(/^node Trilu_1: Trilu needs an input of rank 2 or more, got \[3\]$/);
  });

  it('CumSum keeps the shape; its axis is an integer scalar within the rank', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float64', ['batch', 4]);
    expect(b.op('CumSum', [x, b.constant(-1, 'int64')]).shape).toEqual(['batch', 4]);
    expect(() => b.op('CumSum', [x, b.constant(2, 'int64')])).toThrow(/^node CumSum_1: axis 2 is out of range for rank 2$/);
    expect(() => b.op('CumSum', [x, b.constant(1, 'float64')])).toThrow(/^node CumSum_2: CumSum's axis must be an int32 or int64 scalar, got float64 \[\]$/);
  });

  it('the reverse pass refuses the non-differentiable ones on a path to the loss', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float64', [3]);
    const loss = b.op('ReduceSum', [b.op('Mul', [x, b.op('Cast', [b.op('GreaterOrEqual', [x, b.constant(0, 'float64')])], { to: 11 })])], { keepdims: 0 });
    expect(() => gradients(b, b.op('ReduceSum', [b.op('Mod', [x, b.constant(2, 'float64')])], { keepdims: 0 }), [x])).toThrow(/^no gradient rule for op Mod \(node Mod_0\); the gradient of x needs it/);
    // GreaterOrEqual → Cast: a bool has no gradient, so x gets its gradient from the Mul alone (no error).
    expect(() => gradients(b, loss, [x])).not.toThrow();
  });
});
