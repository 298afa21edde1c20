/**
 * Independent float64 forwards, in plain TypeScript from the ONNX operator specs, of the ops
 * onnxruntime has no double kernel for. checkGradient takes its finite differences from
 * these. Tensors are row-major Float64Arrays with their dims; nothing here imports the builder.
 */
import { erf } from './reference.js';

const sizeOf = (dims: readonly number[]) => dims.reduce((a, d) => a * d, 1);

/** Numpy broadcasting of several shapes. */
export function broadcastDims(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => Math.max(1, ...shapes.map((s) => s[s.length - rank + i] ?? 1)));
}

/** Elementwise f over inputs broadcast together. */
export function broadcastMap(shapes: readonly (readonly number[])[], xs: readonly Float64Array[], f: (values: number[]) => number): Float64Array {
  const out = broadcastDims(shapes);
  const result = new Float64Array(sizeOf(out));
  const index = new Array<number>(out.length).fill(0);
  for (let k = 0; k < result.length; k++) {
    let rest = k;
    for (let i = out.length - 1; i >= 0; i--) {
      index[i] = rest % out[i]!;
      rest = Math.floor(rest / out[i]!);
    }
    const values = shapes.map((shape, j) => {
      let flat = 0;
      shape.forEach((d, i) => (flat = flat * d + (d === 1 ? 0 : index[out.length - shape.length + i]!)));
      return xs[j]![flat]!;
    });
    result[k] = f(values);
  }
  return result;
}

/** ONNX Mean: the elementwise mean of broadcast inputs. */
export const meanRef = (shapes: readonly (readonly number[])[]) => (xs: readonly Float64Array[]): Float64Array =>
  broadcastMap(shapes, xs, (v) => v.reduce((a, b) => a + b, 0) / v.length);

export const erfRef = ([x]: readonly Float64Array[]): Float64Array => x!.map(erf);

/** ONNX Gelu, approximate 'none': x·Φ(x) = ½·x·(1 + erf(x/√2)). */
export const geluRef = ([x]: readonly Float64Array[]): Float64Array => x!.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));

/**
 * Normalize `x` over groups of `inner` consecutive elements (population variance, ε added),
 * then scale and shift each element by `affine(k)` = [scale, bias] for its flat index k.
 */
function normalizeGroups(x: Float64Array, inner: number, epsilon: number, affine: (k: number) => [number, number]): Float64Array {
  // epsilon is a FLOAT attribute: the model holds its float32 rounding.
  const eps = Math.fround(epsilon);
  const out = new Float64Array(x.length);
  for (let start = 0; start < x.length; start += inner) {
    const group = x.subarray(start, start + inner);
    const mean = group.reduce((a, v) => a + v, 0) / inner;
    const variance = group.reduce((a, v) => a + (v - mean) ** 2, 0) / inner;
    const inv = 1 / Math.sqrt(variance + eps);
    group.forEach((v, i) => {
      const [scale, bias] = affine(start + i);
      out[start + i] = (v - mean) * inv * scale + bias;
    });
  }
  return out;
}

/** ONNX InstanceNormalization of an [N, C, …] input: each (n, c) over its spatial elements, then scale[c], B[c]. */
export const instanceNormRef = (dims: readonly number[], epsilon: number) => ([x, scale, bias]: readonly Float64Array[]): Float64Array => {
  const spatial = sizeOf(dims.slice(2));
  const channels = dims[1]!;
  return normalizeGroups(x!, spatial, epsilon, (k) => {
    const c = Math.floor(k / spatial) % channels;
    return [scale![c]!, bias![c]!];
  });
};

/** ONNX LayerNormalization over the last axis of x (Scale and B of that axis' length). */
export const layerNormLastAxisRef = (dims: readonly number[], epsilon: number) => ([x, scale, bias]: readonly Float64Array[]): Float64Array => {
  const width = dims[dims.length - 1]!;
  return normalizeGroups(x!, width, epsilon, (k) => [scale![k % width]!, bias ? bias[k % width]! : 0]);
};
