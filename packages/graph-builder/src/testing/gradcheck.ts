/**
 * Gradient checking for the op table: build a small graph around one op (or a few chained
 * ops), take its gradients with `gradients()`, run the model in onnxruntime-node and compare
 * every gradient element with a central finite difference of the same model's `loss` output.
 *
 * The graph: inputs x0, x1, … (static shapes), out = op(args), loss = ReduceSum(out * W) with W
 * a fixed random constant (so every output element gets its own weight and a wrong
 * transpose/broadcast shows), outputs `loss` and `grad0`, `grad1`, ….
 *
 * Tolerance, float64 (the default): |analytic − numeric| ≤ 1e-6 · max(1, |analytic|, |numeric|).
 * With h = 1e-6 · max(1, |x|) the central difference errs by h²·|f'''|/6 ≲ 1e-12 (truncation)
 * plus about ε·Σ|terms of the loss|/h ≲ 1e-16 · 100 / 1e-6 = 1e-8 (rounding) on the inputs used
 * here (|x| ≤ 2, a few dozen elements), so 1e-6 leaves a wide margin, while a wrong rule (a
 * missing factor, sign, transpose or broadcast sum) errs by O(1).
 *
 * Ops onnxruntime has no double kernel for (Erf, Gelu, InstanceNormalization, Mean) are checked
 * with a `reference`: an independent float64 forward of the op in plain TypeScript. The graph
 * runs in float32; the finite differences come from the reference in float64 (same h, same
 * error bound as above, on the float32 inputs and weights the graph sees), and are compared
 * with the float32 gradient from onnxruntime to |analytic − numeric| ≤ 2e-5 · max(1, |analytic|,
 * |numeric|). That bound is float32 arithmetic in the rule's graph: each op rounds to
 * ε/2 = 6e-8 relative, a rule chains at most ~20 of them and sums at most a few dozen terms
 * of size ≲ 5 (the normalizations' mean(g) and mean(g·x̂)), so ≲ 50 · 6e-8 · 5 ≈ 1.5e-5 in
 * the worst case. A wrong rule errs by O(1). The op's float32 output is also compared with
 * the reference, to 1e-5 · max(1, |reference|).
 */
import * as ort from 'onnxruntime-node';
import { gradients } from '../autodiff.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Attrs, Shape, Value } from '../ir/types.js';
import type { OpAttrs, OpName } from '../ops/index.js';
import { serializeModel } from '../onnx/serialize.js';
import { seededUniform } from './reference.js';
import { elementCount } from '../ir/element-count.js';

/**
 * Where an input's values are drawn: 'any' uniform in [-2, 2); 'positive' in [0.2, 2);
 * 'nonzero' ±[0.2, 2) (for kinks at 0: Relu, Abs, LeakyRelu); or a map from u ∈ [0, 1).
 */
export type Domain = 'any' | 'positive' | 'nonzero' | ((u: number) => number);

/** A composite: build the output from the inputs with several ops. */
export type Build = (b: GraphBuilder, xs: readonly Value[]) => Value;

export interface GradCheckOptions {
  readonly attrs?: Attrs;
  /** The op's inputs, from the graph inputs and constants; default: the inputs in order. Use `[x, x]` for a value used twice. */
  readonly args?: (b: GraphBuilder, xs: readonly Value[]) => (Value | null)[];
  /** How many outputs the node is made with (Dropout needs its mask); the first is checked unless `combine` is given. */
  readonly outputs?: number;
  /** The value checked, from all the node's outputs (e.g. Split's, concatenated in another order). */
  readonly combine?: (b: GraphBuilder, outputs: readonly Value[]) => Value;
  /** One domain for every input, or one per input. */
  readonly domain?: Domain | readonly Domain[];
  readonly dtype?: 'float64' | 'float32';
  readonly seed?: number;
  /** The default-domain opset of the model (default 18; Gelu needs 20). */
  readonly opset?: number;
  /** The graph inputs' shapes as declared, symbolic dims allowed; `inputShapes` are the shapes fed. */
  readonly declaredShapes?: readonly Shape[];
  /**
   * An independent float64 forward of the op's output (row-major, from the inputs in order):
   * the graph then runs in float32 and the finite differences come from this reference.
   */
  readonly reference?: (xs: readonly Float64Array[]) => Float64Array;
}

export interface GradCheckResult {
  /** Elements compared. */
  readonly checked: number;
  /** The largest |analytic − numeric| / max(1, |analytic|, |numeric|). */
  readonly worst: number;
  /** With a reference: the largest |output − reference| / max(1, |reference|). */
  readonly forwardWorst?: number;
}

const draw: Record<Exclude<Domain, (u: number) => number>, (u: number) => number> = {
  any: (u) => 4 * u - 2,
  positive: (u) => 0.2 + 1.8 * u,
  nonzero: (u) => (u < 0.5 ? -1 : 1) * (0.2 + 1.8 * ((2 * u) % 1)),
};

/**
 * Check the gradient of `op` (one node, or a composite) with respect to each input against
 * central finite differences; throws, listing the worst elements, on a mismatch.
 */
export async function checkGradient(op: OpName | Build, inputShapes: readonly (readonly number[])[], options: GradCheckOptions = {}): Promise<GradCheckResult> {
  const reference = options.reference;
  const dtype = reference ? 'float32' : (options.dtype ?? 'float64');
  const Typed = dtype === 'float64' ? Float64Array : Float32Array;
  const tol = reference ? 2e-5 : dtype === 'float64' ? 1e-6 : 2e-3;
  const step = reference || dtype === 'float64' ? 1e-6 : 3e-3;
  const next = seededUniform(options.seed ?? 7);

  const build = (b: GraphBuilder, xs: readonly Value[]): Value => {
    if (typeof op === 'function') return op(b, xs);
    // The op is chosen at run time, so its attributes are checked by the builder, not the compiler.
    const outs = b.opMulti(op, options.args ? options.args(b, xs) : xs, (options.attrs ?? {}) as OpAttrs<typeof op>, options.outputs ?? 1);
    return options.combine ? options.combine(b, outs) : outs[0]!;
  };
  // With declared (symbolic) shapes the output's fed dims come from the same op on the fed shapes.
  const staticBuilder = new GraphBuilder();
  const outDims = build(staticBuilder, inputShapes.map((shape, i) => staticBuilder.input(`x${i}`, dtype, shape))).shape.map((d) => {
    if (typeof d !== 'number') throw new Error(`checkGradient: output shape has a symbolic dim ${d}`);
    return d;
  });
  const b = new GraphBuilder();
  const xs = inputShapes.map((shape, i) => b.input(`x${i}`, dtype, options.declaredShapes?.[i] ?? shape));
  const out = build(b, xs);
  // float32 weights are rounded once here, so the reference sees the values the graph multiplies by.
  const weights = Array.from({ length: elementCount(outDims) }, () => (dtype === 'float32' ? Math.fround(2 * next() - 1) : 2 * next() - 1));
  const weightValue = options.declaredShapes ? b.input('weights', dtype, out.shape) : b.constant(weights, dtype, outDims);
  const loss = b.op('ReduceSum', [b.op('Mul', [out, weightValue])], { keepdims: 0 });
  const grads = gradients(b, loss, xs);
  b.output(loss, 'loss');
  b.output(out, 'out');
  grads.forEach((g, i) => b.output(g, `grad${i}`));
  const graph = b.close('gradcheck');
  const session = await ort.InferenceSession.create(serializeModel({ graph, initializers: b.initializersOf(graph), ...(options.opset && { opset: options.opset }) }));

  try {
    const domains = inputShapes.map((_, i) => {
      const d = Array.isArray(options.domain) ? (options.domain as readonly Domain[])[i] : (options.domain as Domain | undefined);
      const f = d ?? 'any';
      return typeof f === 'function' ? f : draw[f];
    });
    const values = inputShapes.map((shape, i) => {
      const v = new Typed(elementCount(shape));
      for (let k = 0; k < v.length; k++) v[k] = domains[i]!(next());
      return v;
    });
    const tensor = (v: Float32Array | Float64Array, dims: readonly number[]) => (v instanceof Float64Array ? new ort.Tensor('float64', v, dims) : new ort.Tensor('float32', v, dims));
    const weightFeed: Record<string, ort.Tensor> = options.declaredShapes ? { weights: tensor(new Typed(weights), outDims) } : {};
    const feeds = () => ({ ...weightFeed, ...Object.fromEntries(values.map((v, i) => [`x${i}`, tensor(v, inputShapes[i]!)])) });
    const referenceInputs = values.map((v) => Float64Array.from(v));
    const lossAt = reference
      ? async () => reference(referenceInputs).reduce((sum, y, k) => sum + y * weights[k]!, 0)
      : async () => Number((await session.run(feeds(), ['loss'])).loss!.data[0]);
    const perturbed = reference ? referenceInputs : values;

    const result = await session.run(feeds());
    let forwardWorst: number | undefined;
    if (reference) {
      const expected = reference(referenceInputs);
      const got = result.out!.data as Float32Array;
      if (got.length !== expected.length) throw new Error(`checkGradient: the reference gives ${expected.length} elements, the op ${got.length}`);
      forwardWorst = 0;
      expected.forEach((r, k) => {
        const err = Math.abs(got[k]! - r) / Math.max(1, Math.abs(r));
        forwardWorst = Number.isNaN(err) ? Infinity : Math.max(forwardWorst!, err);
      });
      if (!(forwardWorst <= 1e-5)) throw new Error(`checkGradient: the op's output is off the reference by ${forwardWorst} (relative), more than 1e-5`);
    }
    const mismatches: string[] = [];
    let worst = 0;
    let checked = 0;
    for (let i = 0; i < values.length; i++) {
      const g = result[`grad${i}`]!;
      if (g.dims.join(',') !== inputShapes[i]!.join(',')) {
        throw new Error(`checkGradient: grad${i} has dims [${g.dims.join(', ')}], input x${i} has [${inputShapes[i]!.join(', ')}]`);
      }
      const x = perturbed[i]!;
      for (let k = 0; k < x.length; k++) {
        const x0 = x[k]!;
        const h = step * Math.max(1, Math.abs(x0));
        x[k] = x0 + h;
        const up = x[k]!;
        const lossUp = await lossAt();
        x[k] = x0 - h;
        const down = x[k]!;
        const lossDown = await lossAt();
        x[k] = x0;
        const numeric = (lossUp - lossDown) / (up - down);
        const analytic = Number(g.data[k]);
        const err = Math.abs(analytic - numeric) / Math.max(1, Math.abs(analytic), Math.abs(numeric));
        if (!(err <= tol)) mismatches.push(`x${i}[${k}] = ${x0}: gradient ${analytic}, finite difference ${numeric}`);
        worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
        checked++;
      }
    }
    if (mismatches.length > 0) {
      const name = typeof op === 'function' ? 'composite' : op;
      throw new Error(`checkGradient ${name} [${inputShapes.map((s) => `[${s.join(', ')}]`).join(', ')}]: ${mismatches.length} of ${checked} elements off by more than ${tol.toExponential(0)}:\n  ${mismatches.slice(0, 8).join('\n  ')}`);
    }
    return { checked, worst, ...(forwardWorst !== undefined && { forwardWorst }) };
  } finally {
    await session.release();
  }
}
