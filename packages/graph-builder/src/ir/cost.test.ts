import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './builder.js';
import { graphCost } from './cost.js';
import { exportTrainStep } from '../train.js';
import { input } from '../model/layers.js';

describe('graphCost', () => {
  const costOf = (build: (b: GraphBuilder) => void) => {
    const b = new GraphBuilder();
    build(b);
    return graphCost(b.close('g'));
  };

  it('2 per multiply-add of MatMul, Gemm (transposed too) and Conv, per row where a symbolic dimension is involved', () => {
    expect(costOf((b) => b.output(b.op('MatMul', [b.input('x', 'float32', ['batch', 3]), b.input('w', 'float32', [3, 4])])))).toEqual({ fixed: 0, perRow: 2 * 3 * 4 });
    // a weight gradient: [3, batch] · [batch, 4] sums over the batch, so it costs per row too
    expect(costOf((b) => b.output(b.op('Gemm', [b.input('x', 'float32', ['batch', 3]), b.input('d', 'float32', ['batch', 4])], { transA: 1 })))).toEqual({ fixed: 0, perRow: 2 * 3 * 4 });
    expect(costOf((b) => b.output(b.op('Gemm', [b.input('a', 'float32', [5, 3]), b.input('w', 'float32', [4, 3])], { transB: 1 })))).toEqual({ fixed: 2 * 5 * 3 * 4, perRow: 0 });
    // output [batch, 3, 3, 3]: 27 positions, each 2 · 3 · 3 (inC · kernel) multiply-adds per output channel
    expect(costOf((b) => b.output(b.op('Conv', [b.input('x', 'float32', ['batch', 2, 5, 5]), b.input('w', 'float32', [3, 2, 3, 3])])))).toEqual({ fixed: 0, perRow: 2 * 27 * 18 });
  });

  it('one per element for element-wise ops and reductions (the larger of inputs and outputs)', () => {
    expect(costOf((b) => b.output(b.op('Add', [b.input('p', 'float32', [3, 4]), b.input('q', 'float32', [3, 4])])))).toEqual({ fixed: 12, perRow: 0 });
    expect(costOf((b) => b.output(b.op('ReduceSum', [b.input('d', 'float32', ['batch', 4]), b.constant([0], 'int64')], { keepdims: 0 })))).toEqual({ fixed: 0, perRow: 4 });
  });

  it('a fused train step costs what one step costs: its Scan body once', () => {
    const m = input('x', { shape: [null, 3] }).dense(4);
    const one = exportTrainStep(m, { loss: 'mean_squared_error', optimizer: 'sgd' }).cost;
    const fused = exportTrainStep(m, { loss: 'mean_squared_error', optimizer: 'sgd', stepsPerRun: 8 }).cost;
    // forward Gemm and weight-gradient Gemm: 2 · 2 · 3 · 4 per row, besides the element-wise nodes
    expect(one.perRow).toBeGreaterThanOrEqual(48);
    expect(one.perRow).toBeLessThan(48 + 4 * 15); // and at most ~15 element-wise nodes on [batch, 4]
    expect(fused.perRow).toBeGreaterThanOrEqual(one.perRow);
    expect(fused.perRow).toBeLessThan(one.perRow + 20);
    // the SGD update of 12 + 4 parameters, whatever the batch
    expect(one.fixed).toBeGreaterThanOrEqual(16);
  });
});
