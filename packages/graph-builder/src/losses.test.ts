import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { gradients } from './autodiff.js';
import { GraphBuilder } from './ir/builder.js';
import { checkLoss, emitLoss, type LossSpec } from './losses.js';
import { serializeModel } from './onnx/serialize.js';
import { checkGradient } from './testing/gradcheck.js';

type Float = 'float32' | 'float64';

/** Loss and d loss / d z of `loss(activation(z), y)` computed by onnxruntime. */
async function lossAndGradient(spec: LossSpec, activation: 'Sigmoid' | 'Softmax' | null, z: readonly number[], y: readonly number[], dims: readonly number[], dtype: Float, targetDType: 'float32' | 'float64' | 'int64' = dtype, targetDims = dims, provider = 'cpu') {
  const b = new GraphBuilder();
  const zIn = b.input('z', dtype, dims);
  const output = activation === null ? zIn : activation === 'Softmax' ? b.op('Softmax', [zIn], { axis: -1 }) : b.op('Sigmoid', [zIn]);
  const loss = emitLoss(b, checkLoss(spec, 'test'), output, b.input('y', targetDType, targetDims));
  const [dz] = gradients(b, loss, [zIn]);
  b.output(loss, 'loss');
  b.output(dz!, 'dz');
  const graph = b.close('loss');
  const session = await ort.InferenceSession.create(serializeModel({ graph, initializers: b.initializersOf(graph) }), { executionProviders: [provider], logSeverityLevel: 3 });
  const typed = (v: readonly number[], t: string) => (t === 'float64' ? Float64Array.from(v) : t === 'int64' ? BigInt64Array.from(v, BigInt) : Float32Array.from(v));
  const out = await session.run({ z: new ort.Tensor(dtype, typed(z, dtype), dims), y: new ort.Tensor(targetDType, typed(y, targetDType), targetDims) });
  await session.release();
  return { loss: Number(out.loss!.data[0]), dz: Array.from(out.dz!.data as Float32Array, Number) };
}

/** float64 reference: softplus(z) − y·z, written so that it cannot overflow. */
const bceOfLogit = (z: number, y: number) => Math.max(z, 0) - y * z + Math.log1p(Math.exp(-Math.abs(z)));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('binary cross-entropy stays finite and exact at saturated logits', () => {
  const logits = [30, -30, 100, -100, 1000, -1000];
  for (const dtype of ['float32', 'float64'] as const) {
    for (const activation of ['Sigmoid', null] as const) {
      const spec: LossSpec = activation ? 'binary_cross_entropy' : { name: 'binary_cross_entropy', fromLogits: true };
      it(`${dtype}, ${activation ? 'sigmoid output' : 'fromLogits'}: loss and gradient at ±30, ±100, ±1000 for y = 0 and 1`, async () => {
        for (const y of [0, 1]) {
          const { loss, dz } = await lossAndGradient(spec, activation, logits, logits.map(() => y), [6, 1], dtype);
          const expected = logits.reduce((s, z) => s + bceOfLogit(z, y), 0) / logits.length;
          expect(Number.isFinite(loss)).toBe(true);
          expect(Math.abs(loss - expected) / expected).toBeLessThan(dtype === 'float32' ? 1e-6 : 1e-12);
          dz.forEach((g, i) => expect(g).toBeCloseTo((sigmoid(logits[i]!) - y) / logits.length, dtype === 'float32' ? 6 : 12));
        }
      });
    }
  }

  it("float32 on the webgpu provider too (the loss is softplus(z) − y·z there: its Softplus is finite at ±1000)", async () => {
    for (const y of [0, 1]) {
      const { loss } = await lossAndGradient({ name: 'binary_cross_entropy', fromLogits: true }, null, logits, logits.map(() => y), [6, 1], 'float32', 'float32', [6, 1], 'webgpu');
      const expected = logits.reduce((s, z) => s + bceOfLogit(z, y), 0) / logits.length;
      expect(Math.abs(loss - expected) / expected).toBeLessThan(1e-6);
    }
  });

  it('at z = 30, y = 0 the loss is 30, not the 15.94 of clipped probabilities', async () => {
    const { loss } = await lossAndGradient('binary_cross_entropy', 'Sigmoid', [30], [0], [1, 1], 'float32');
    expect(loss).toBeCloseTo(30, 5);
  });
});

describe('cross-entropies from logits', () => {
  const z = [0.5, -1.2, 2.0, 0.1, 0.3, -0.7];
  const logSoftmaxRow = (row: number[]) => {
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    return row.map((v) => v - lse);
  };
  const rows = [z.slice(0, 3), z.slice(3)];
  const classes = [2, 0];
  const expectedLoss = -(logSoftmaxRow(rows[0]!)[2]! + logSoftmaxRow(rows[1]!)[0]!) / 2;
  const expectedGrad = rows.flatMap((row, r) => logSoftmaxRow(row).map((l, k) => (Math.exp(l) - (k === classes[r] ? 1 : 0)) / 2));

  it('sparse_categorical_cross_entropy with fromLogits takes int64 class indices of shape [batch]', async () => {
    const { loss, dz } = await lossAndGradient({ name: 'sparse_categorical_cross_entropy', fromLogits: true }, null, z, classes, [2, 3], 'float64', 'int64', [2]);
    expect(loss).toBeCloseTo(expectedLoss, 12);
    dz.forEach((g, i) => expect(g).toBeCloseTo(expectedGrad[i]!, 12));
  });

  it('sparse_categorical_cross_entropy on a softmax output equals the fromLogits form', async () => {
    const { loss, dz } = await lossAndGradient('sparse_categorical_cross_entropy', 'Softmax', z, classes, [2, 3], 'float64', 'int64', [2]);
    expect(loss).toBeCloseTo(expectedLoss, 12);
    dz.forEach((g, i) => expect(g).toBeCloseTo(expectedGrad[i]!, 12));
  });

  it('categorical_cross_entropy with fromLogits and one-hot targets', async () => {
    const oneHot = [0, 0, 1, 1, 0, 0];
    const { loss, dz } = await lossAndGradient({ name: 'categorical_cross_entropy', fromLogits: true }, null, z, oneHot, [2, 3], 'float64');
    expect(loss).toBeCloseTo(expectedLoss, 12);
    dz.forEach((g, i) => expect(g).toBeCloseTo(expectedGrad[i]!, 12));
  });

  it('the fused gradient of fromLogits cross-entropy matches finite differences', async () => {
    const target = (b: GraphBuilder) => b.constant([1, 0, 2, 1], 'int64', [4]);
    await checkGradient((b, [logits]) => emitLoss(b, checkLoss({ name: 'sparse_categorical_cross_entropy', fromLogits: true }, 't'), logits!, target(b)), [[4, 3]]);
    await checkGradient((b, [logits]) => emitLoss(b, checkLoss({ name: 'binary_cross_entropy', fromLogits: true }, 't'), logits!, b.constant([1, 0, 0, 1], 'float64', [4, 1])), [[4, 1]]);
  });
});

describe('loss specs are checked', () => {
  it('names, fromLogits and the target type', () => {
    expect(checkLoss({ name: 'binary_cross_entropy', fromLogits: true }, 'l')).toEqual({ name: 'binary_cross_entropy', fromLogits: true });
    expect(() => checkLoss('hinge', 'l')).toThrow(/^l: unknown loss "hinge"; expected one of binary_cross_entropy, categorical_cross_entropy, sparse_categorical_cross_entropy/);
    expect(() => checkLoss({ name: 'mean_squared_error', fromLogits: true }, 'l')).toThrow(/^l: fromLogits applies to the cross-entropies, not to mean_squared_error$/);
    expect(() => checkLoss({ name: 'binary_cross_entropy', fromLogits: 'yes' }, 'l')).toThrow(/^l: fromLogits must be true or false, got "yes"$/);
    const b = new GraphBuilder();
    expect(() => emitLoss(b, checkLoss('sparse_categorical_cross_entropy', 'l'), b.input('o', 'float32', ['batch', 3]), b.input('t', 'float32', ['batch']), 'scce')).toThrow(
      /^scce: sparse_categorical_cross_entropy takes integer class indices; give targetDType 'int32' or 'int64'$/,
    );
  });
});
