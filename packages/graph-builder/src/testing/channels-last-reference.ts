/**
 * Independent float64 references for convolution and pooling on channels-last tensors
 * (`[batch, ...spatial, channels]`, 1 or 2 spatial dims), written from the definitions in the
 * ONNX spec; nothing here imports the builder.
 */

export interface Tensor {
  readonly data: ArrayLike<number>;
  readonly dims: readonly number[];
}

export interface WindowSpec {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** Per spatial dim: [before, after]. */
  readonly pads: readonly (readonly [number, number])[];
}

const product = (dims: readonly number[]) => dims.reduce((a, d) => a * d, 1);

/** Every index tuple of `dims`, row-major. */
function* indices(dims: readonly number[]): Generator<number[]> {
  const idx = new Array<number>(dims.length).fill(0);
  for (let flat = 0; flat < product(dims); flat++) {
    yield [...idx];
    for (let k = dims.length - 1; k >= 0; k--) {
      if (++idx[k]! < dims[k]!) break;
      idx[k] = 0;
    }
  }
}

const offset = (dims: readonly number[], idx: readonly number[]) => idx.reduce((a, i, k) => a * dims[k]! + i, 0);

function outSizes(sizes: readonly number[], w: WindowSpec): number[] {
  return sizes.map((s, i) => Math.floor((s + w.pads[i]![0] + w.pads[i]![1] - (w.dilations[i]! * (w.kernel[i]! - 1) + 1)) / w.strides[i]!) + 1);
}

/** Input positions of one output position's window (undefined where it falls in the padding). */
function windowPositions(out: readonly number[], sizes: readonly number[], w: WindowSpec): (number[] | undefined)[] {
  return [...indices(w.kernel)].map((k) => {
    const pos = out.map((o, i) => o * w.strides[i]! - w.pads[i]![0] + k[i]! * w.dilations[i]!);
    return pos.every((p, i) => p >= 0 && p < sizes[i]!) ? pos : undefined;
  });
}

/** Convolution: x [n, ...s, c], weight [m, c / groups, ...k] (ONNX layout), bias [m]. */
export function convRef(x: Tensor, weight: Tensor, bias: Tensor | undefined, w: WindowSpec, groups: number): Tensor {
  const [n, ...rest] = x.dims;
  const c = rest.pop()!;
  const m = weight.dims[0]!;
  const perGroupIn = c / groups;
  const perGroupOut = m / groups;
  const out = outSizes(rest, w);
  const dims = [n!, ...out, m];
  const data = new Float64Array(product(dims));
  for (const [b, ...o] of indices([n!, ...out])) {
    const positions = windowPositions(o, rest, w);
    for (let f = 0; f < m; f++) {
      const g = Math.floor(f / perGroupOut);
      let sum = bias ? bias.data[f]! : 0;
      positions.forEach((pos, k) => {
        if (!pos) return;
        const kernelIdx = [...indices(w.kernel)][k]!;
        for (let ci = 0; ci < perGroupIn; ci++) {
          sum += x.data[offset(x.dims, [b!, ...pos, g * perGroupIn + ci])]! * weight.data[offset(weight.dims, [f, ci, ...kernelIdx])]!;
        }
      });
      data[offset(dims, [b!, ...o, f])] = sum;
    }
  }
  return { data, dims };
}

/** Max or average pooling; the average divides by the window's elements inside the input. */
export function poolRef(x: Tensor, w: WindowSpec, kind: 'max' | 'avg'): Tensor {
  const [n, ...rest] = x.dims;
  const c = rest.pop()!;
  const out = outSizes(rest, w);
  const dims = [n!, ...out, c];
  const data = new Float64Array(product(dims));
  for (const [b, ...o] of indices([n!, ...out])) {
    const inside = windowPositions(o, rest, w).filter((p): p is number[] => p !== undefined);
    for (let ch = 0; ch < c; ch++) {
      const values = inside.map((pos) => x.data[offset(x.dims, [b!, ...pos, ch])]!);
      data[offset(dims, [b!, ...o, ch])] = kind === 'max' ? Math.max(...values) : values.reduce((a, v) => a + v, 0) / values.length;
    }
  }
  return { data, dims };
}
