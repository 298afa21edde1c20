import { describe, expect, it } from 'vitest';
import { gradients } from '../autodiff.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Shape, Value } from '../ir/types.js';
import { f64, i64, runGraph } from '../testing/run-graph.js';
import { elementCount } from '../ir/element-count.js';

const FAR = 2 ** 62;
const setup = (shape: Shape) => {
  const b = new GraphBuilder();
  return { b, x: b.input('x', 'float64', shape), int64: (v: readonly number[]) => b.constant(v, 'int64') };
};
const iota = (n: number) => Array.from({ length: n }, (_, i) => i);
const sum = (b: GraphBuilder, v: Value) => b.op('ReduceSum', [v], { keepdims: 0 });

describe('Shape with start and end (opset 15)', () => {
  it('returns the dims in [start, end), negative ends from the back, and its dims feed Reshape', async () => {
    const { b, x } = setup(['batch', 3, 4]);
    expect(b.op('Shape', [x], { start: 1 }).shape).toEqual([2]);
    expect(b.op('Shape', [x], { start: -1 }).shape).toEqual([1]);
    expect(b.op('Shape', [x], { start: 2, end: 1 }).shape).toEqual([0]);
    const z = b.input('z', 'float64', [12]);
    expect(b.op('Reshape', [z, b.op('Shape', [x], { start: 1 })]).shape).toEqual([3, 4]);
    const lead = b.op('Shape', [x], { end: 2 });
    expect(lead.shape).toEqual([2]);
    const out = await runGraph(b, { lead }, { x: f64([2, 3, 4], iota(24)), z: f64([12], iota(12)) });
    expect(out.lead!.data).toEqual([2, 3]);
  });
});

describe('Squeeze and Flatten shape rules', () => {
  it('Squeeze drops the given axes (negative too), or every 1 when there are none', () => {
    const { b, x, int64 } = setup(['batch', 1, 4, 1]);
    expect(b.op('Squeeze', [x, int64([1, -1])]).shape).toEqual(['batch', 4]);
    const s = setup([1, 4, 1]);
    expect(s.b.op('Squeeze', [s.x]).shape).toEqual([4]);
  });

  it('Squeeze refuses a dim that is not 1, and no axes on a symbolic shape', () => {
    const { b, x, int64 } = setup(['batch', 3]);
    expect(() => b.op('Squeeze', [x, int64([1])])).toThrow(/^node Squeeze_0: Squeeze of axis 1 of \[batch, 3\], which is 3, not 1$/);
    expect(() => b.op('Squeeze', [x])).toThrow(/^node Squeeze_1: Squeeze without axes on \[batch, 3\]: whether a symbolic dim is 1 is known only at run time; give the axes$/);
    expect(() => b.op('Squeeze', [x, int64([2])])).toThrow(/^node Squeeze_2: axis 2 is out of range for rank 2$/);
  });

  it('Flatten multiplies out both sides of the axis, keeping a lone symbolic dim', async () => {
    const { b, x } = setup(['batch', 3, 4]);
    expect(b.op('Flatten', [x], { axis: 0 }).shape).toEqual([1, '?']);
    expect(b.op('Flatten', [x], { axis: 3 }).shape).toEqual(['?', 1]);
    expect(b.op('Flatten', [x], { axis: -2 }).shape).toEqual(['batch', 12]);
    const y = b.op('Flatten', [x]);
    expect(y.shape).toEqual(['batch', 12]);
    expect((await runGraph(b, { y }, { x: f64([2, 3, 4], iota(24)) })).y!.dims).toEqual([2, 12]);
    expect(() => b.op('Flatten', [x], { axis: 4 })).toThrow(/^node Flatten_4: Flatten's axis 4 is out of range for rank 3 \(from -3 to 3\)$/);
  });
});

describe('Split shape rule (opset 18 form)', () => {
  it('sizes from the split input, or num_outputs chunks with the last one smaller, as onnxruntime splits', async () => {
    const { b, x, int64 } = setup(['batch', 7]);
    const bySizes = b.opMulti('Split', [x, int64([2, 5])], { axis: 1 }, 2);
    expect(bySizes.map((v) => v.shape)).toEqual([['batch', 2], ['batch', 5]]);
    const [p, q, r] = b.opMulti('Split', [x], { axis: -1, num_outputs: 3 }, 3);
    expect([p!.shape, q!.shape, r!.shape]).toEqual([['batch', 3], ['batch', 3], ['batch', 1]]);
    const out = await runGraph(b, { p: p!, q: q!, r: r! }, { x: f64([1, 7], iota(7)) });
    expect([out.p!.data, out.q!.data, out.r!.data]).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });

  it('splits a symbolic axis into parts of unknown size', () => {
    const { b, x } = setup(['batch', 2]);
    expect(b.opMulti('Split', [x], { num_outputs: 2 }, 2).map((v) => v.shape)).toEqual([['?', 2], ['?', 2]]);
  });

  it('refuses sizes that do not add up, both forms at once, neither, and more outputs than parts', () => {
    const { b, x, int64 } = setup([3, 6]);
    expect(() => b.opMulti('Split', [x, int64([2, 3])], { axis: 1 }, 2)).toThrow(/^node Split_0: Split sizes \[2, 3\] must be non-negative and add up to 6, the size of axis 1$/);
    expect(() => b.opMulti('Split', [x, int64([3, 3])], { axis: 1, num_outputs: 2 }, 2)).toThrow(/^node Split_1: Split takes a split input or num_outputs, not both$/);
    expect(() => b.opMulti('Split', [x], { axis: 1 }, 2)).toThrow(/^node Split_2: Split needs a split input or the num_outputs attribute$/);
    expect(() => b.opMulti('Split', [x], { num_outputs: 0 }, 1)).toThrow(/^node Split_3: Split's num_outputs must be at least 1, got 0$/);
    expect(() => b.opMulti('Split', [x], { axis: 1, num_outputs: 2 }, 3)).toThrow(/^node Split_4: op Split has 2 outputs, 3 were asked for$/);
  });
});

describe('Tile shape rule', () => {
  it('multiplies each dim by its repeat (a symbolic dim repeated once stays)', async () => {
    const { b, x, int64 } = setup(['batch', 3]);
    expect(b.op('Tile', [x, int64([2, 1])]).shape).toEqual(['?', 3]);
    const y = b.op('Tile', [x, int64([1, 2])]);
    expect(y.shape).toEqual(['batch', 6]);
    expect((await runGraph(b, { y }, { x: f64([2, 3], iota(6)) })).y!.data).toEqual([0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5]);
  });

  it('refuses repeats of the wrong length or negative, and repeats known only at run time', () => {
    const { b, x, int64 } = setup([2, 3]);
    expect(() => b.op('Tile', [x, int64([2])])).toThrow(/^node Tile_0: Tile's repeats \[2\] must be 2 non-negative counts, one per axis of \[2, 3\]$/);
    expect(() => b.op('Tile', [x, int64([2, -1])])).toThrow(/Tile's repeats \[2, -1\] must be 2 non-negative counts/);
    expect(() => b.op('Tile', [x, b.input('r', 'int64', [2])])).toThrow(/^node Tile_2: Tile's repeats must be a constant$/);
  });
});

describe('Pad shape rule (opset 18 form)', () => {
  it('adds the pads (negative ones remove), along the given axes, as onnxruntime pads', async () => {
    const { b, x, int64 } = setup(['batch', 3, 4]);
    expect(b.op('Pad', [x, int64([0, 1, 2, 0, 1, -1])]).shape).toEqual(['batch', 5, 5]);
    const y = b.op('Pad', [x, int64([1, 2]), b.constant(9, 'float64'), int64([-1])]);
    expect(y.shape).toEqual(['batch', 3, 7]);
    expect((await runGraph(b, { y }, { x: f64([1, 3, 4], iota(12)) })).y!.data.slice(0, 7)).toEqual([9, 0, 1, 2, 3, 9, 9]);
    expect(b.op('Pad', [x, int64([1, 0, 0, 0, 0, 0])]).shape).toEqual(['?', 3, 4]);
    expect(b.op('Pad', [x, b.input('pads', 'int64', [6])]).shape).toEqual(['?', '?', '?']);
  });

  it('refuses an unknown mode, pads of the wrong length, and removing more than there is', () => {
    const { b, x, int64 } = setup([3, 4]);
    expect(() => b.op('Pad', [x, int64([0, 0, 0, 0])], { mode: 'mirror' })).toThrow(/^node Pad_0: Pad's mode must be one of constant, reflect, edge, wrap, got 'mirror'$/);
    expect(() => b.op('Pad', [x, int64([1, 1])])).toThrow(/^node Pad_1: Pad's pads must hold 2 values per padded axis \(4\), got shape \[2\]$/);
    expect(() => b.op('Pad', [x, int64([-2, 0, -2, 0])])).toThrow(/^node Pad_2: Pad removes more than the 3 elements of axis 0 \(pads -2, -2\)$/);
  });

  it('constant mode with pads known only at run time: the gradient crops them at run time', async () => {
    const { b, x } = setup([2, 3]);
    const pads = b.input('pads', 'int64', [4]);
    const y = b.op('Pad', [x, pads]);
    const weights = b.input('w', 'float64', y.shape);
    const [g] = gradients(b, sum(b, b.op('Mul', [y, weights])), [x]);
    // pads [1, 0, 0, 2] put x at rows 1–2, columns 0–2 of a [3, 5] output: dx is w there
    const w = iota(15).map((i) => i + 100);
    const out = await runGraph(b, { g: g! }, { x: f64([2, 3], iota(6)), pads: i64([4], [1, 0, 0, 2]), w: f64([3, 5], w) });
    expect(out.g!.data).toEqual([105, 106, 107, 110, 111, 112]);
  });

  it('edge, reflect and wrap gradients need static non-negative pads within the axis', () => {
    const grad = (shape: Shape, pads: Value | readonly number[], mode: string) => {
      const { b, x, int64 } = setup(shape);
      const y = b.op('Pad', [x, Array.isArray(pads) ? int64(pads) : (pads as Value)], { mode });
      return () => gradients(b, sum(b, y), [x]);
    };
    expect(grad([3, 4], [-1, 0, 0, 0], 'edge')).toThrow(/^no gradient rule for op Pad in mode edge with negative pads \[-1, 0\] on axis 0 \(node Pad_0\)$/);
    expect(grad([3, 4], [3, 0, 0, 0], 'reflect')).toThrow(/^no gradient rule for op Pad in mode reflect with pads \[3, 0\] beyond the 3 elements of axis 0 \(node Pad_0\)$/);
    expect(grad([3, 4], [0, 0, 0, 5], 'wrap')).toThrow(/^no gradient rule for op Pad in mode wrap with pads \[0, 5\] beyond the 4 elements of axis 1 \(node Pad_0\)$/);
    expect(grad(['batch', 4], [1, 0, 0, 0], 'edge')).toThrow(/^no gradient rule for op Pad in mode edge along symbolic axis 0 \(node Pad_0\)$/);
    const b = new GraphBuilder();
    const x = b.input('x', 'float64', [3, 4]);
    const y = b.op('Pad', [x, b.input('pads', 'int64', [4])], { mode: 'reflect' });
    expect(() => gradients(b, sum(b, y), [x])).toThrow(/^no gradient rule for op Pad in mode reflect with pads or axes known only at run time \(node Pad_0\)$/);
  });
});

describe('Slice shape rule (opset 13 form)', () => {
  const slice = (shape: Shape, starts: number[], ends: number[], axes?: number[], steps?: number[]) => {
    const { b, x, int64 } = setup(shape);
    return { b, y: b.op('Slice', [x, int64(starts), int64(ends), ...(axes ? [int64(axes)] : steps ? [null] : []), ...(steps ? [int64(steps)] : [])]) };
  };

  it.each([
    [[5], [1], [4], undefined, undefined, [3]],
    [[5], [-2], [FAR], undefined, undefined, [2]],
    [[5], [4], [-FAR], undefined, [-1], [5]],
    [[5], [4], [0], undefined, [-2], [2]],
    [[5], [0], [5], undefined, [2], [3]],
    [[5], [10], [20], undefined, undefined, [0]],
    [[5], [-10], [2], undefined, [1], [2]],
    [[6], [-1], [-7], undefined, [-3], [2]],
    [[3, 5], [1], [FAR], [-1], undefined, [3, 4]],
    [[3, 5], [0, 4], [3, 0], [0, 1], [2, -1], [2, 4]],
  ])('of %j from %j to %j, axes %j, steps %j: %j, as onnxruntime slices', async (shape, starts, ends, axes, steps, expected) => {
    const { b, y } = slice(shape, starts, ends, axes, steps);
    expect(y.shape).toEqual(expected);
    const n = elementCount(shape);
    expect((await runGraph(b, { y }, { x: f64(shape, iota(n)) })).y!.dims).toEqual(expected);
  });

  it('a symbolic dim, or bounds known only at run time, give an unknown dim on that axis', () => {
    expect(slice(['batch', 5], [1, 1], [FAR, 3]).y.shape).toEqual(['?', 2]);
    const { b, x, int64 } = setup([4, 5]);
    expect(b.op('Slice', [x, b.input('start', 'int64', [1]), int64([3]), int64([1])]).shape).toEqual([4, '?']);
    expect(b.op('Slice', [x, int64([0]), int64([3]), b.input('axes', 'int64', [1])]).shape).toEqual(['?', '?']);
  });

  it('refuses repeated axes, a zero step, and starts and ends of different lengths', () => {
    const { b, x, int64 } = setup([4, 5]);
    expect(() => b.op('Slice', [x, int64([0, 0]), int64([1, 1]), int64([1, -1])])).toThrow(/^node Slice_0: Slice's axes \[1, -1\] repeat an axis$/);
    expect(() => b.op('Slice', [x, int64([0]), int64([1]), int64([0]), int64([0])])).toThrow(/^node Slice_1: Slice's steps must not be 0, got \[0\]$/);
    expect(() => b.op('Slice', [x, int64([0, 1]), int64([1])])).toThrow(/^node Slice_2: Slice's starts and ends must be 1-D of one length, got \[2\] and \[1\]$/);
  });

  it('the gradient needs static axes, and static steps other than 1 on axes of static bounds', () => {
    const grad = (build: (b: GraphBuilder, x: Value) => Value) => {
      const { b, x } = setup(['batch', 5]);
      const y = build(b, x);
      return () => gradients(b, sum(b, y), [x]);
    };
    const int = (b: GraphBuilder, v: number[]) => b.constant(v, 'int64');
    expect(grad((b, x) => b.op('Slice', [x, int(b, [0]), int(b, [2]), b.input('axes', 'int64', [1])]))).toThrow(/^no gradient rule for op Slice with axes known only at run time \(node Slice_0\)$/);
    expect(grad((b, x) => b.op('Slice', [x, int(b, [0]), int(b, [2]), int(b, [1]), b.input('steps', 'int64', [1])]))).toThrow(/^no gradient rule for op Slice with steps known only at run time \(node Slice_0\)$/);
    expect(grad((b, x) => b.op('Slice', [x, int(b, [0]), int(b, [FAR]), int(b, [0]), int(b, [2])]))).toThrow(/^no gradient rule for op Slice with step 2 on an axis of symbolic or run-time bounds \(node Slice_0\)$/);
  });

  it('an empty slice gives x a zero gradient', async () => {
    const { b, x, int64 } = setup([2, 3]);
    const y = b.op('Slice', [x, int64([2]), int64([2]), int64([1])]);
    expect(y.shape).toEqual([2, 0]);
    const [g] = gradients(b, sum(b, y), [x]);
    expect((await runGraph(b, { g: g! }, { x: f64([2, 3], iota(6)) })).g!.data).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
