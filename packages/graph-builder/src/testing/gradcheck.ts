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
 * float32 is for ops onnxruntime has no double kernel for (Erf): h = 3e-3 · max(1, |x|),
 * rounding ≈ 6e-8 · Σ|terms| / h ≲ 5e-4, truncation ≲ 1e-5, so the tolerance is 2e-3 relative.
 */
import * as ort from 'onnxruntime-node';
import { gradients } from '../autodiff.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Attrs, Value } from '../ir/types.js';
import type { OpAttrs, OpName } from '../ops/index.js';
import { serializeModel } from '../onnx/serialize.js';
import { seededUniform } from './reference.js';

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
  /** How many outputs the node is made with (Dropout needs its mask); the first is checked. */
  readonly outputs?: number;
  /** One domain for every input, or one per input. */
  readonly domain?: Domain | readonly Domain[];
  readonly dtype?: 'float64' | 'float32';
  readonly seed?: number;
}

export interface GradCheckResult {
  /** Elements compared. */
  readonly checked: number;
  /** The largest |analytic − numeric| / max(1, |analytic|, |numeric|). */
  readonly worst: number;
}

const draw: Record<Exclude<Domain, (u: number) => number>, (u: number) => number> = {
  any: (u) => 4 * u - 2,
  positive: (u) => 0.2 + 1.8 * u,
  nonzero: (u) => (u < 0.5 ? -1 : 1) * (0.2 + 1.8 * ((2 * u) % 1)),
};

const sizeOf = (dims: readonly number[]) => dims.reduce((a, d) => a * d, 1);

/**
 * Check the gradient of `op` (one node, or a composite) with respect to each input against
 * central finite differences; throws, listing the worst elements, on a mismatch.
 */
export async function checkGradient(op: OpName | Build, inputShapes: readonly (readonly number[])[], options: GradCheckOptions = {}): Promise<GradCheckResult> {
  const dtype = options.dtype ?? 'float64';
  const Typed = dtype === 'float64' ? Float64Array : Float32Array;
  const tol = dtype === 'float64' ? 1e-6 : 2e-3;
  const step = dtype === 'float64' ? 1e-6 : 3e-3;
  const next = seededUniform(options.seed ?? 7);

  const b = new GraphBuilder();
  const xs = inputShapes.map((shape, i) => b.input(`x${i}`, dtype, shape));
  const out =
    typeof op === 'function'
      ? op(b, xs)
      : // The op is chosen at run time, so its attributes are checked by the builder, not the compiler.
        b.opMulti(op, options.args ? options.args(b, xs) : xs, (options.attrs ?? {}) as OpAttrs<typeof op>, options.outputs ?? 1)[0]!;
  const outDims = out.shape.map((d) => {
    if (typeof d !== 'number') throw new Error(`checkGradient: output shape has a symbolic dim ${d}`);
    return d;
  });
  const weights = Array.from({ length: sizeOf(outDims) }, () => 2 * next() - 1);
  const loss = b.op('ReduceSum', [b.op('Mul', [out, b.constant(weights, dtype, outDims)])], { keepdims: 0 });
  const grads = gradients(b, loss, xs);
  b.output(loss, 'loss');
  grads.forEach((g, i) => b.output(g, `grad${i}`));
  const graph = b.close('gradcheck');
  const session = await ort.InferenceSession.create(serializeModel({ graph, initializers: b.initializersOf(graph) }));

  try {
    const domains = inputShapes.map((_, i) => {
      const d = Array.isArray(options.domain) ? (options.domain as readonly Domain[])[i] : (options.domain as Domain | undefined);
      const f = d ?? 'any';
      return typeof f === 'function' ? f : draw[f];
    });
    const values = inputShapes.map((shape, i) => {
      const v = new Typed(sizeOf(shape));
      for (let k = 0; k < v.length; k++) v[k] = domains[i]!(next());
      return v;
    });
    const tensor = (v: Float32Array | Float64Array, dims: readonly number[]) => (v instanceof Float64Array ? new ort.Tensor('float64', v, dims) : new ort.Tensor('float32', v, dims));
    const feeds = () => Object.fromEntries(values.map((v, i) => [`x${i}`, tensor(v, inputShapes[i]!)]));
    const lossAt = async () => Number((await session.run(feeds(), ['loss'])).loss!.data[0]);

    const result = await session.run(feeds());
    const mismatches: string[] = [];
    let worst = 0;
    let checked = 0;
    for (let i = 0; i < values.length; i++) {
      const g = result[`grad${i}`]!;
      if (g.dims.join(',') !== inputShapes[i]!.join(',')) {
        throw new Error(`checkGradient: grad${i} has dims [${g.dims.join(', ')}], input x${i} has [${inputShapes[i]!.join(', ')}]`);
      }
      const x = values[i]!;
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
    return { checked, worst };
  } finally {
    await session.release();
  }
}
