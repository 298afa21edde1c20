import { describe, expect, it } from 'vitest';
import { gradients } from '../autodiff.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Shape } from '../ir/types.js';
import { f64, runGraph } from '../testing/run-graph.js';

const channelsOf = (b: GraphBuilder, c: number, names: readonly string[]) => names.map((n) => b.input(n, 'float64', [c]));

describe('BatchNormalization shape rule', () => {
  const setup = (x: Shape, c = 3) => {
    const b = new GraphBuilder();
    return { b, x: b.input('x', 'float64', x), params: channelsOf(b, c, ['scale', 'bias', 'mean', 'var']) };
  };

  it('inference mode: Y of the input shape, rank 2 to 4, symbolic batch', () => {
    for (const shape of [[2, 3], ['batch', 3, 5], ['batch', 3, 4, 4]] as Shape[]) {
      const { b, x, params } = setup(shape);
      expect(b.op('BatchNormalization', [x, ...params]).shape).toEqual(shape);
    }
  });

  it('training mode: Y, running mean and running var, as onnxruntime computes them (population variance)', async () => {
    const { b, x, params } = setup(['batch', 3]);
    const [y, runningMean, runningVar] = b.opMulti('BatchNormalization', [x, ...params], { training_mode: 1, momentum: 0.5 }, 3);
    expect([y!.shape, runningMean!.shape, runningVar!.shape]).toEqual([['batch', 3], [3], [3]]);
    // columns [1, 3], [0, 0], [2, 6]: batch means 2, 0, 4 and population variances 1, 0, 4
    const out = await runGraph(b, { y: y!, runningMean: runningMean!, runningVar: runningVar! }, {
      x: f64([2, 3], [1, 0, 2, 3, 0, 6]),
      scale: f64([3], [1, 1, 1]),
      bias: f64([3], [0, 0, 0]),
      mean: f64([3], [0, 0, 0]),
      var: f64([3], [1, 1, 1]),
    });
    expect(out.runningMean!.data).toEqual([1, 0, 2]);
    expect(out.runningVar!.data).toEqual([1, 0.5, 2.5]);
    expect(out.y!.data[0]).toBeCloseTo(-1 / Math.sqrt(1 + 1e-5), 6);
  });

  it('refuses an input below rank 2 and per-channel inputs of the wrong length', () => {
    const low = setup([3]);
    expect(() => low.b.op('BatchNormalization', [low.x, ...low.params])).toThrow(/^node BatchNormalization_0: BatchNormalization needs an input of rank 2 or more \(channels on axis 1\), got \[3\]$/);
    const wrong = setup(['batch', 4]);
    expect(() => wrong.b.op('BatchNormalization', [wrong.x, ...wrong.params])).toThrow(/^node BatchNormalization_0: scale must have shape \[4\] \(one value per channel\), got \[3\]$/);
  });

  it('training mode: a gradient through the running statistics is refused', () => {
    const { b, x, params } = setup([2, 3]);
    const [, runningMean] = b.opMulti('BatchNormalization', [x, ...params], { training_mode: 1 }, 3);
    expect(() => gradients(b, b.op('ReduceSum', [runningMean!], { keepdims: 0 }), [x])).toThrow(
      /^no gradient rule for op BatchNormalization through its running_mean\/running_var outputs \(node BatchNormalization_0\)$/,
    );
  });
});

describe('LayerNormalization shape rule', () => {
  const setup = (x: Shape, scale: Shape, bias?: Shape) => {
    const b = new GraphBuilder();
    return { b, inputs: [b.input('x', 'float64', x), b.input('s', 'float64', scale), ...(bias ? [b.input('bias', 'float64', bias)] : [])] };
  };

  it('Y, and Mean and InvStdDev in the stash type (float32) with the normalized axes kept as 1s, as onnxruntime gives them', async () => {
    const { b, inputs } = setup(['batch', 3, 4], [3, 4]);
    const [y, mean, invStd] = b.opMulti('LayerNormalization', inputs, { axis: -2 }, 3);
    expect(y!.shape).toEqual(['batch', 3, 4]);
    expect([mean!.dtype, mean!.shape, invStd!.shape]).toEqual(['float32', ['batch', 1, 1], ['batch', 1, 1]]);
    const x = Array.from({ length: 24 }, (_, i) => i % 5);
    const out = await runGraph(b, { y: y!, mean: mean!, invStd: invStd! }, { x: f64([2, 3, 4], x), s: f64([3, 4], new Array<number>(12).fill(1)) });
    const firstMean = x.slice(0, 12).reduce((a, v) => a + v, 0) / 12;
    expect(out.mean!.data[0]).toBeCloseTo(firstMean, 6);
  });

  it('Scale and B broadcast to the normalized shape; other shapes and axes are refused', () => {
    const r = setup([2, 3, 4], [1, 4], [4]);
    expect(r.b.op('LayerNormalization', r.inputs, { axis: 1 }).shape).toEqual([2, 3, 4]);
    const s = setup([2, 3, 4], [3]);
    expect(() => s.b.op('LayerNormalization', s.inputs)).toThrow(/^node LayerNormalization_0: Scale \[3\] does not broadcast to the normalized shape \[4\]$/);
    const t = setup([2, 3, 4], [4], [2, 3, 4]);
    expect(() => t.b.op('LayerNormalization', t.inputs, { axis: 1 })).toThrow(/^node LayerNormalization_0: B \[2, 3, 4\] does not broadcast to the normalized shape \[3, 4\]$/);
    const u = setup([2, 3, 4], [4]);
    expect(() => u.b.op('LayerNormalization', u.inputs, { axis: 3 })).toThrow(/^node LayerNormalization_0: axis 3 is out of range for rank 3$/);
  });

  it('a gradient through Mean or InvStdDev is refused', () => {
    const { b, inputs } = setup([2, 4], [4]);
    const [, mean] = b.opMulti('LayerNormalization', inputs, {}, 3);
    expect(() => gradients(b, b.op('ReduceSum', [mean!], { keepdims: 0 }), [inputs[0]!])).toThrow(
      /^no gradient rule for op LayerNormalization through its Mean\/InvStdDev outputs \(node LayerNormalization_0\)$/,
    );
  });
});

describe('InstanceNormalization shape rule', () => {
  it('keeps the input shape (symbolic batch); needs rank 3 or more and per-channel scale and B', () => {
    const b = new GraphBuilder();
    const [scale, bias] = channelsOf(b, 2, ['scale', 'bias']);
    expect(b.op('InstanceNormalization', [b.input('x', 'float32', ['batch', 2, 5]), scale!, bias!]).shape).toEqual(['batch', 2, 5]);
    expect(() => b.op('InstanceNormalization', [b.input('flat', 'float64', [4, 2]), scale!, bias!])).toThrow(/InstanceNormalization needs an input of rank 3 or more \(channels on axis 1\), got \[4, 2\]$/);
    expect(() => b.op('InstanceNormalization', [b.input('wide', 'float64', [4, 3, 2]), scale!, bias!])).toThrow(/scale must have shape \[3\] \(one value per channel\), got \[2\]$/);
  });
});
