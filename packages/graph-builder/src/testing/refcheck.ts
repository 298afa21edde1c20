/**
 * Gradient checking for ops onnxruntime runs in float32 only (Conv, ConvTranspose, AveragePool,
 * the global pools): the finite differences come from an independent float64 forward pass
 * written in the test (a reference), the analytic gradient from the float32 model built around
 * the op, as in gradcheck.ts: loss = ReduceSum(op(x…) · W), W random float32 loss weights (an
 * input, so the batch may be symbolic).
 * The op's float32 forward output is compared with the reference too.
 *
 * Inputs are drawn, rounded to float32, and the same values go to both sides, so the only
 * differences are onnxruntime's float32 rounding and the finite differences' own error.
 *
 * Tolerance. Every output element and every gradient element is a sum of at most T products
 * (T ≤ 1 + the largest input or output size: a conv output sums C/group·Πk products and a bias,
 * a weight gradient N·Πout, an input gradient M/group·Πk; a pool's fewer), each exact inputs
 * times exact float32 weights. A float32 sum of T terms errs by at most γ_T·Σ|terms| ≈ T·u·Σ|terms|
 * in any summation order (u = 2⁻²⁴), plus a rounding or two for a scale (AveragePool's 1/count).
 * Σ|terms| is computed, not guessed: the ops are linear in each input, so it is the same
 * quantity for |x| and |W| (the reference run on absolute values, differentiated the same way).
 * The finite difference, central with h = 1e-6·max(1, |x|) on a function linear in each input
 * (piecewise linear for max), has no truncation error and a rounding error ≈ 1e-16·Σ|loss|/h ≲ 1e-7.
 * So each element must satisfy |float32 − float64| ≤ (2·(T + 2)·u + 1e-6) · max(1, Σ|terms|),
 * a few 1e-5 here, while a wrong rule (a missing tap, a shifted window, a wrong pad or divisor)
 * errs by a whole term, O(0.1–1) relative.
 */
import * as ort from 'onnxruntime-node';
import { gradients } from '../autodiff.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Attrs, Value } from '../ir/types.js';
import type { OpAttrs, OpName } from '../ops/index.js';
import { serializeModel } from '../onnx/serialize.js';
import { seededUniform, type RefTensor } from './reference.js';
import { elementCount } from '../ir/element-count.js';

/** The op's first output in float64 from its inputs (row-major, the dims of `inputShapes`). */
export type Reference = (xs: readonly RefTensor[]) => RefTensor;

export interface ReferenceCheckOptions {
  readonly attrs?: Attrs;
  /** The op's inputs, from the graph inputs; default: the inputs in order. */
  readonly args?: (b: GraphBuilder, xs: readonly Value[]) => (Value | null)[];
  /** How many outputs the node is made with; the first is checked. */
  readonly outputs?: number;
  /** The inputs whose first dim the graph declares symbolic ('batch'), fed with the given size. */
  readonly symbolicBatch?: readonly number[];
  readonly seed?: number;
}

export interface ReferenceCheckResult {
  /** Gradient elements compared. */
  readonly checked: number;
  /** The largest |float32 gradient − float64 finite difference| / max(1, Σ|terms|). */
  readonly worstGradient: number;
  /** The same for the forward output against the reference. */
  readonly worstForward: number;
  /** The tolerance both were held to. */
  readonly tolerance: number;
}

const UNIT_ROUNDOFF = 2 ** -24;

/** Σ weights·reference(xs): the loss the model computes, in float64. */
function referenceLoss(reference: Reference, xs: readonly RefTensor[], weights: Float64Array): number {
  const out = reference(xs).data;
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += weights[i]! * Number(out[i]);
  return sum;
}

/** Central finite differences of the reference loss, for every element of every input. */
function finiteDifferences(reference: Reference, xs: readonly RefTensor[], weights: Float64Array): Float64Array[] {
  const values = xs.map((x) => Float64Array.from(x.data as ArrayLike<number>));
  const tensors = values.map((data, i) => ({ data, dims: xs[i]!.dims }));
  return values.map((v) =>
    v.map((x0, k) => {
      const h = 1e-6 * Math.max(1, Math.abs(x0));
      v[k] = x0 + h;
      const up = referenceLoss(reference, tensors, weights);
      v[k] = x0 - h;
      const down = referenceLoss(reference, tensors, weights);
      v[k] = x0;
      return (up - down) / (2 * h);
    }),
  );
}

/**
 * Check `op`'s gradients (float32, onnxruntime) against finite differences of `reference`
 * (float64), and its forward output against the reference; throws, listing the worst elements.
 */
export async function checkGradientByReference(op: OpName, inputShapes: readonly (readonly number[])[], reference: Reference, options: ReferenceCheckOptions = {}): Promise<ReferenceCheckResult> {
  const next = seededUniform(options.seed ?? 7);
  const b = new GraphBuilder();
  const xs = inputShapes.map((shape, i) => b.input(`x${i}`, 'float32', options.symbolicBatch?.includes(i) ? ['batch', ...shape.slice(1)] : shape));
  const [out] = b.opMulti(op, options.args ? options.args(b, xs) : xs, (options.attrs ?? {}) as OpAttrs<typeof op>, options.outputs ?? 1) as [Value];
  const lossWeights = b.input('lossWeights', 'float32', out.shape);
  const grads = gradients(b, b.op('ReduceSum', [b.op('Mul', [out, lossWeights])], { keepdims: 0 }), xs);
  b.output(out, 'out');
  grads.forEach((g, i) => b.output(g, `grad${i}`));
  const graph = b.close('refcheck');

  const values = inputShapes.map((shape) => Float32Array.from({ length: elementCount(shape) }, () => 4 * next() - 2));
  const exact = values.map((v, i) => ({ data: Float64Array.from(v), dims: inputShapes[i]! }));
  const absolute = exact.map((x) => ({ data: x.data.map(Math.abs), dims: x.dims }));
  const forward = reference(exact);
  const outDims = forward.dims;
  if (out.shape.some((d, i) => typeof d === 'number' && d !== outDims[i]) || out.shape.length !== outDims.length) {
    throw new Error(`checkGradientByReference ${op}: output shape [${out.shape.join(', ')}], the reference gives [${outDims.join(', ')}]`);
  }
  const weights = Float32Array.from({ length: elementCount(outDims) }, () => 2 * next() - 1);
  const session = await ort.InferenceSession.create(serializeModel({ graph, initializers: b.initializersOf(graph) }));
  const feeds = Object.fromEntries(values.map((v, i) => [`x${i}`, new ort.Tensor('float32', v, inputShapes[i]!)]));
  const result = await session.run({ ...feeds, lossWeights: new ort.Tensor('float32', weights, outDims) });
  await session.release();
  const terms = 1 + Math.max(elementCount(outDims), ...inputShapes.map(elementCount));
  const tolerance = 2 * (terms + 2) * UNIT_ROUNDOFF + 1e-6;
  const mismatches: string[] = [];
  const compare = (what: string, got: number, expected: number, scale: number): number => {
    const err = Math.abs(got - expected) / Math.max(1, scale);
    if (!(err <= tolerance)) mismatches.push(`${what}: onnxruntime ${got}, reference ${expected} (Σ|terms| ${scale.toPrecision(3)})`);
    return Number.isNaN(err) ? Infinity : err;
  };

  const forwardScale = reference(absolute);
  const got = result.out!;
  if (got.dims.join(',') !== outDims.join(',')) throw new Error(`checkGradientByReference ${op}: onnxruntime's output dims [${got.dims.join(', ')}], the reference gives [${outDims.join(', ')}]`);
  let worstForward = 0;
  Array.from(forward.data).forEach((v, k) => (worstForward = Math.max(worstForward, compare(`out[${k}]`, Number(got.data[k]), Number(v), Number(forwardScale.data[k])))));

  const numeric = finiteDifferences(reference, exact, Float64Array.from(weights));
  const scales = finiteDifferences(reference, absolute, Float64Array.from(weights, Math.abs));
  let worstGradient = 0;
  let checked = 0;
  numeric.forEach((n, i) => {
    const g = result[`grad${i}`]!;
    if (g.dims.join(',') !== inputShapes[i]!.join(',')) throw new Error(`checkGradientByReference ${op}: grad${i} has dims [${g.dims.join(', ')}], input x${i} has [${inputShapes[i]!.join(', ')}]`);
    n.forEach((v, k) => {
      worstGradient = Math.max(worstGradient, compare(`grad${i}[${k}]`, Number(g.data[k]), v, Math.abs(scales[i]![k]!)));
      checked++;
    });
  });
  if (mismatches.length > 0) {
    throw new Error(`checkGradientByReference ${op} [${inputShapes.map((s) => `[${s.join(', ')}]`).join(', ')}]: ${mismatches.length} elements off by more than ${tolerance.toExponential(1)}:\n  ${mismatches.slice(0, 8).join('\n  ')}`);
  }
  return { checked, worstGradient, worstForward, tolerance };
}
