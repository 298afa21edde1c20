import * as ortNode from 'onnxruntime-node';
// Under Node, onnxruntime-web resolves to its node build and finds its wasm next to itself.
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { gradients } from '../autodiff.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Shape, Value } from '../ir/types.js';
import { serializeModel } from '../onnx/serialize.js';
import { seededUniform } from '../testing/reference.js';
import { elementCount } from '../ir/element-count.js';

ortWeb.env.wasm.numThreads = 1;

/*
 * The gradient graphs of the rules for imported models (their forward op and the ops each
 * rule emits), in float32, run in onnxruntime-web's wasm build as in onnxruntime-node: the
 * same gradients to 1e-6. (onnxruntime-node's are checked against finite differences in
 * autodiff.test.ts.)
 */

type Build = (b: GraphBuilder, xs: readonly Value[]) => Value;
const int64 = (b: GraphBuilder, v: readonly number[]) => b.constant(v, 'int64');
const FAR = 2 ** 62;

const cases: [name: string, shapes: number[][], build: Build, opset?: number, declared?: Shape[]][] = [
  ['Gemm transA transB with C', [[4, 3], [2, 4], [1, 2]], (b, [a, w, c]) => b.op('Gemm', [a!, w!, c!], { transA: 1, transB: 1, alpha: 0.5, beta: 2 })],
  ['BatchNormalization, inference', [[2, 3, 2, 2], [3], [3], [3], [3]], (b, [x, s, bias, m, v]) => b.op('BatchNormalization', [x!, s!, bias!, m!, b.op('Abs', [v!])])],
  // In training mode the given statistics only feed the running ones: constants here.
  ['BatchNormalization, training', [[4, 3, 2], [3], [3]], (b, [x, s, bias]) => {
    const [mean, variance] = [b.constant([0.1, 0.2, 0.3], 'float32'), b.constant([1, 2, 3], 'float32')];
    return b.opMulti('BatchNormalization', [x!, s!, bias!, mean, variance], { training_mode: 1 }, 3)[0]!;
  }],
  ['LayerNormalization with Mean and InvStdDev', [[2, 3, 4], [3, 4], [3, 4]], (b, xs) => b.opMulti('LayerNormalization', xs, { axis: -2 }, 3)[0]!],
  ['InstanceNormalization', [[2, 3, 4], [3], [3]], (b, xs) => b.op('InstanceNormalization', xs)],
  ['Slice with steps 2 and −3', [[4, 7]], (b, [x]) => b.op('Slice', [x!, int64(b, [0, 6]), int64(b, [FAR, 0]), int64(b, [0, 1]), int64(b, [2, -3])])],
  ['Pad reflect and edge', [[3, 4]], (b, [x]) => b.op('Pad', [b.op('Pad', [x!, int64(b, [1, 2, 0, 1])], { mode: 'reflect' }), int64(b, [0, 2, 1, 0])], { mode: 'edge' })],
  ['Tile and Split', [[2, 3]], (b, [x]) => {
    const [p, q] = b.opMulti('Split', [b.op('Tile', [x!, int64(b, [2, 2])])], { axis: 1, num_outputs: 2 }, 2);
    return b.op('Mul', [p!, q!]);
  }],
  ['ReduceMax and ReduceL2', [[3, 4]], (b, [x]) => b.op('Add', [b.op('ReduceMax', [x!, int64(b, [1])]), b.op('ReduceL2', [x!, int64(b, [1])])])],
  ['Max, Min and Sum of three', [[3, 4], [4], [3, 1]], (b, xs) => b.op('Sum', [b.op('Max', xs), b.op('Min', xs), xs[0]!])],
  ['HardSigmoid, HardSwish, Elu', [[3, 4]], (b, [x]) => b.op('Mul', [b.op('HardSigmoid', [x!]), b.op('Add', [b.op('HardSwish', [x!]), b.op('Elu', [x!])])])],
  ['CumSum and Trilu', [[3, 4]], (b, [x]) => b.op('Trilu', [b.op('CumSum', [x!, b.constant(1, 'int64')], { reverse: 1 })], { upper: 0 })],
  ['Gelu, both approximations (opset 20)', [[3, 4]], (b, [x]) => b.op('Add', [b.op('Gelu', [x!]), b.op('Gelu', [x!], { approximate: 'tanh' })]), 20],
  // The rules' run-time shape paths: a start computed from the batch size, Tile and Slice steps on a symbolic batch.
  ['Slice and Tile on a symbolic batch', [[5, 4]], (b, [x]) => {
    const start = b.op('Sub', [b.op('Shape', [x!], { end: 1 }), int64(b, [3])]);
    const rows = b.op('Slice', [x!, start, int64(b, [FAR]), int64(b, [0])]);
    const strided = b.op('Slice', [b.op('Tile', [rows, int64(b, [2, 1])]), int64(b, [3]), int64(b, [0]), int64(b, [1]), int64(b, [-2])]);
    return b.op('ReduceSum', [strided, int64(b, [0])], { keepdims: 0 });
  }, undefined, [['batch', 4]]],
];

function gradientModel(build: Build, shapes: readonly number[][], opset?: number, declared?: readonly Shape[]) {
  const next = seededUniform(3);
  const b = new GraphBuilder();
  const xs = shapes.map((shape, i) => b.input(`x${i}`, 'float32', declared?.[i] ?? shape));
  const out = build(b, xs);
  const weights = b.constant(Array.from({ length: out.shape.reduce<number>((a, d) => a * Number(d), 1) }, () => 2 * next() - 1), 'float32', out.shape as number[]);
  const grads = gradients(b, b.op('ReduceSum', [b.op('Mul', [out, weights])], { keepdims: 0 }), xs);
  grads.forEach((g, i) => b.output(g, `grad${i}`));
  const graph = b.close('gradients');
  const feeds = shapes.map((shape) => Float32Array.from({ length: elementCount(shape) }, () => 4 * next() - 2));
  return { bytes: serializeModel({ graph, initializers: b.initializersOf(graph), ...(opset && { opset }) }), feeds };
}

async function run(ort: typeof ortNode | typeof ortWeb, bytes: Uint8Array, shapes: readonly number[][], feeds: readonly Float32Array[]): Promise<number[][]> {
  const session = await (ort as typeof ortNode).InferenceSession.create(bytes, ort === ortWeb ? ({ executionProviders: ['wasm'] } as never) : {});
  try {
    const out = await session.run(Object.fromEntries(feeds.map((data, i) => [`x${i}`, new ort.Tensor('float32', data, shapes[i]!)])) as never);
    return shapes.map((_, i) => Array.from(out[`grad${i}`]!.data as Float32Array));
  } finally {
    await session.release();
  }
}

describe('gradient rules for imported models run in onnxruntime-web (wasm) as in onnxruntime-node', () => {
  for (const [name, shapes, build, opset, declared] of cases) {
    it(name, async () => {
      const { bytes, feeds } = gradientModel(build, shapes, opset, declared);
      const [fromNode, fromWeb] = await Promise.all([run(ortNode, bytes, shapes, feeds), run(ortWeb, bytes, shapes, feeds)]);
      fromNode.forEach((grad, i) => {
        expect(fromWeb[i]!.length).toBe(grad.length);
        expect(grad.some((v) => v !== 0), `grad${i} is not all zeros`).toBe(true);
        grad.forEach((v, k) => expect(Math.abs(fromWeb[i]![k]! - v), `grad${i}[${k}]`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(v))));
      });
    });
  }
});
