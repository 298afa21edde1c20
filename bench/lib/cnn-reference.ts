/**
 * A small convolutional network written out by hand in float64: forward pass, reverse pass and
 * Adam, in plain loops over typed arrays (channels last, as TF.js and onnxpipe lay out images).
 * The benchmark's independent reference for its CNN workloads: nothing here comes from onnxpipe
 * or TF.js.
 *
 * The network: `convs` blocks (none for a dense network) of conv (stride 1, 'same' or 'valid' padding) → relu → 2×2 max
 * pool (stride 2), then flatten, `hidden` dense relu layers and a dense softmax layer, with
 * sparse categorical cross-entropy (mean over the batch) on class indices.
 * Parameters: `conv_<i>.kernel` [k, k, in, filters], `conv_<i>.bias` [filters],
 * `dense_<j>.kernel` [in, units], `dense_<j>.bias` [units].
 */
import { elementCount, type ModelState } from '@onnxpipe/graph-builder';

export interface ConvSpec {
  readonly filters: number;
  readonly kernel: number;
  readonly padding: 'same' | 'valid';
}

export interface CnnConfig {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly convs: readonly ConvSpec[];
  readonly hidden: readonly number[];
  readonly classes: number;
}

export interface AdamSpec {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** AdamW's decoupled weight decay: p -= lr · decay · p (with p before the step), after the Adam update. */
  readonly decay?: number;
}

interface ConvGeometry {
  readonly inH: number;
  readonly inW: number;
  readonly inC: number;
  readonly outH: number;
  readonly outW: number;
  readonly filters: number;
  readonly kernel: number;
  /** Rows and columns of zeros before the input ('same': (k - 1) / 2 rounded down, as TF.js and ONNX's SAME_UPPER). */
  readonly pad: number;
  readonly poolH: number;
  readonly poolW: number;
}

export interface CnnLayout {
  readonly convs: readonly ConvGeometry[];
  /** [in, units] of each dense layer, the softmax layer last. */
  readonly dense: readonly (readonly [number, number])[];
  /** Every parameter's dims, by name. */
  readonly params: Readonly<Record<string, readonly number[]>>;
}

export function cnnLayout(c: CnnConfig): CnnLayout {
  let [h, w, ch] = [c.height, c.width, c.channels];
  const params: Record<string, number[]> = {};
  const convs = c.convs.map((spec, i) => {
    const pad = spec.padding === 'same' ? Math.floor((spec.kernel - 1) / 2) : 0;
    const outH = spec.padding === 'same' ? h : h - spec.kernel + 1;
    const outW = spec.padding === 'same' ? w : w - spec.kernel + 1;
    if (outH < 2 || outW < 2) throw new Error(`conv ${i}: a ${spec.kernel}×${spec.kernel} '${spec.padding}' kernel leaves ${outH}×${outW}, too small to pool`);
    params[`conv_${i}.kernel`] = [spec.kernel, spec.kernel, ch, spec.filters];
    params[`conv_${i}.bias`] = [spec.filters];
    const g: ConvGeometry = { inH: h, inW: w, inC: ch, outH, outW, filters: spec.filters, kernel: spec.kernel, pad, poolH: Math.floor(outH / 2), poolW: Math.floor(outW / 2) };
    [h, w, ch] = [g.poolH, g.poolW, spec.filters];
    return g;
  });
  let width = h * w * ch;
  const dense = [...c.hidden, c.classes].map((units, j) => {
    params[`dense_${j}.kernel`] = [width, units];
    params[`dense_${j}.bias`] = [units];
    const shape = [width, units] as const;
    width = units;
    return shape;
  });
  return { convs, dense, params };
}

/** Multiply-adds of one example's forward pass (convolutions and dense layers). */
export function cnnMacsPerExample(c: CnnConfig): number {
  const l = cnnLayout(c);
  return l.convs.reduce((s, g) => s + g.outH * g.outW * g.filters * g.kernel * g.kernel * g.inC, 0) + l.dense.reduce((s, [i, o]) => s + i * o, 0);
}

type Params = Readonly<Record<string, ArrayLike<number>>>;

/** conv (stride 1) + bias, NHWC; `out` is [n, outH, outW, filters]. */
function conv(g: ConvGeometry, x: Float64Array, kernel: ArrayLike<number>, bias: ArrayLike<number>, n: number): Float64Array {
  const { inH, inW, inC, outH, outW, filters: F, kernel: k, pad } = g;
  const out = new Float64Array(n * outH * outW * F);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const o = ((b * outH + oy) * outW + ox) * F;
        for (let f = 0; f < F; f++) out[o + f] = bias[f]!;
        for (let ky = 0; ky < k; ky++) {
          const iy = oy + ky - pad;
          if (iy < 0 || iy >= inH) continue;
          for (let kx = 0; kx < k; kx++) {
            const ix = ox + kx - pad;
            if (ix < 0 || ix >= inW) continue;
            const xi = ((b * inH + iy) * inW + ix) * inC;
            const ki = (ky * k + kx) * inC * F;
            for (let c = 0; c < inC; c++) {
              const v = x[xi + c]!;
              if (v === 0) continue;
              const kc = ki + c * F;
              for (let f = 0; f < F; f++) out[o + f]! += v * kernel[kc + f]!;
            }
          }
        }
      }
    }
  }
  return out;
}

/** Gradients of conv: adds into dKernel and dBias, returns dx (unless `needInput` is false). */
function convBackward(g: ConvGeometry, x: Float64Array, kernel: ArrayLike<number>, dOut: Float64Array, n: number, dKernel: Float64Array, dBias: Float64Array, needInput: boolean): Float64Array | undefined {
  const { inH, inW, inC, outH, outW, filters: F, kernel: k, pad } = g;
  const dx = needInput ? new Float64Array(n * inH * inW * inC) : undefined;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const o = ((b * outH + oy) * outW + ox) * F;
        for (let f = 0; f < F; f++) dBias[f]! += dOut[o + f]!;
        for (let ky = 0; ky < k; ky++) {
          const iy = oy + ky - pad;
          if (iy < 0 || iy >= inH) continue;
          for (let kx = 0; kx < k; kx++) {
            const ix = ox + kx - pad;
            if (ix < 0 || ix >= inW) continue;
            const xi = ((b * inH + iy) * inW + ix) * inC;
            const ki = (ky * k + kx) * inC * F;
            for (let c = 0; c < inC; c++) {
              const v = x[xi + c]!;
              const kc = ki + c * F;
              let sum = 0;
              for (let f = 0; f < F; f++) {
                const d = dOut[o + f]!;
                dKernel[kc + f]! += v * d;
                sum += kernel[kc + f]! * d;
              }
              if (dx) dx[xi + c]! += sum;
            }
          }
        }
      }
    }
  }
  return dx;
}

/** 2×2 max pool, stride 2, NHWC; also the flat index of each maximum (the first one in a tie). */
function maxPool(g: ConvGeometry, x: Float64Array, n: number): { out: Float64Array; argmax: Int32Array } {
  const { outH: H, outW: W, filters: C, poolH, poolW } = g;
  const out = new Float64Array(n * poolH * poolW * C);
  const argmax = new Int32Array(out.length);
  for (let b = 0; b < n; b++) {
    for (let py = 0; py < poolH; py++) {
      for (let px = 0; px < poolW; px++) {
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let at = -1;
          for (let dy = 0; dy < 2; dy++) {
            for (let dx = 0; dx < 2; dx++) {
              const i = ((b * H + 2 * py + dy) * W + 2 * px + dx) * C + c;
              if (x[i]! > best) [best, at] = [x[i]!, i];
            }
          }
          const o = ((b * poolH + py) * poolW + px) * C + c;
          out[o] = best;
          argmax[o] = at;
        }
      }
    }
  }
  return { out, argmax };
}

const relu = (z: Float64Array): Float64Array => z.map((v) => (v > 0 ? v : 0));

function dense(x: Float64Array, kernel: ArrayLike<number>, bias: ArrayLike<number>, n: number, nin: number, nout: number): Float64Array {
  const z = new Float64Array(n * nout);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < nout; j++) z[i * nout + j] = bias[j]!;
    for (let k = 0; k < nin; k++) {
      const v = x[i * nin + k]!;
      if (v === 0) continue;
      for (let j = 0; j < nout; j++) z[i * nout + j]! += v * kernel[k * nout + j]!;
    }
  }
  return z;
}

interface Forward {
  readonly loss: number;
  /** Input of each conv block, its conv output after relu, and the pool's argmax. */
  readonly blocks: { input: Float64Array; activated: Float64Array; argmax: Int32Array }[];
  /** Input of each dense layer (the flattened pool output first); outputs of the hidden ones after relu. */
  readonly denseInputs: Float64Array[];
  /** softmax(logits) - onehot(label), divided by n: the loss's gradient with respect to the logits. */
  readonly dLogits: Float64Array;
}

function forward(c: CnnConfig, l: CnnLayout, p: Params, images: ArrayLike<number>, labels: ArrayLike<number>, n: number): Forward {
  let x: Float64Array = Float64Array.from(images);
  const blocks: Forward['blocks'] = [];
  l.convs.forEach((g, i) => {
    const activated = relu(conv(g, x, p[`conv_${i}.kernel`]!, p[`conv_${i}.bias`]!, n));
    const { out, argmax } = maxPool(g, activated, n);
    blocks.push({ input: x, activated, argmax });
    x = out;
  });
  const denseInputs: Float64Array[] = [];
  let z: Float64Array = x;
  l.dense.forEach(([nin, nout], j) => {
    denseInputs.push(z);
    z = dense(z, p[`dense_${j}.kernel`]!, p[`dense_${j}.bias`]!, n, nin, nout);
    if (j < l.dense.length - 1) z = relu(z);
  });
  const K = c.classes;
  const dLogits = new Float64Array(n * K);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, z[i * K + k]!);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(z[i * K + k]! - max);
    const label = labels[i]!;
    loss += max + Math.log(sum) - z[i * K + label]!;
    for (let k = 0; k < K; k++) dLogits[i * K + k] = (Math.exp(z[i * K + k]! - max) / sum - (k === label ? 1 : 0)) / n;
  }
  return { loss: loss / n, blocks, denseInputs, dLogits };
}

/** Mean cross-entropy of the batch (`images` [n, h, w, c] flat, `labels` class indices). */
export function cnnLoss(c: CnnConfig, params: Params, images: ArrayLike<number>, labels: ArrayLike<number>): number {
  return forward(c, cnnLayout(c), params, images, labels, labels.length).loss;
}

/** The loss and its gradient with respect to every parameter. */
export function cnnGradients(c: CnnConfig, params: Params, images: ArrayLike<number>, labels: ArrayLike<number>): { loss: number; grads: Record<string, Float64Array> } {
  const l = cnnLayout(c);
  const n = labels.length;
  const f = forward(c, l, params, images, labels, n);
  const grads: Record<string, Float64Array> = Object.fromEntries(Object.entries(l.params).map(([name, dims]) => [name, new Float64Array(elementCount(dims))]));
  let d = f.dLogits;
  for (let j = l.dense.length - 1; j >= 0; j--) {
    const [nin, nout] = l.dense[j]!;
    const x = f.denseInputs[j]!;
    const kernel = params[`dense_${j}.kernel`]!;
    const dK = grads[`dense_${j}.kernel`]!;
    const dB = grads[`dense_${j}.bias`]!;
    const dx = new Float64Array(n * nin);
    for (let i = 0; i < n; i++) {
      for (let o = 0; o < nout; o++) dB[o]! += d[i * nout + o]!;
      for (let k = 0; k < nin; k++) {
        const v = x[i * nin + k]!;
        let sum = 0;
        for (let o = 0; o < nout; o++) {
          dK[k * nout + o]! += v * d[i * nout + o]!;
          sum += kernel[k * nout + o]! * d[i * nout + o]!;
        }
        // through the relu of the previous dense layer (its output is x); the flattened pool output has none
        dx[i * nin + k] = j > 0 && v <= 0 ? 0 : sum;
      }
    }
    d = dx;
  }
  for (let i = l.convs.length - 1; i >= 0; i--) {
    const g = l.convs[i]!;
    const { input, activated, argmax } = f.blocks[i]!;
    const dAct = new Float64Array(activated.length);
    argmax.forEach((at, o) => (dAct[at]! += d[o]!));
    for (let q = 0; q < dAct.length; q++) if (activated[q]! <= 0) dAct[q] = 0;
    d = convBackward(g, input, params[`conv_${i}.kernel`]!, dAct, n, grads[`conv_${i}.kernel`]!, grads[`conv_${i}.bias`]!, i > 0)!;
  }
  return { loss: f.loss, grads };
}

export interface CnnBatch {
  /** [batch, height, width, channels], pixels in [0, 1]. */
  readonly images: Float32Array;
  readonly labels: Int32Array;
}

/**
 * Trains in float64 with Adam (m̂ / (√v̂ + ε), bias-corrected; AdamW when `adam.decay` is set) and
 * returns every step's loss (at the parameters before that step's update) and the final parameters.
 */
export function trainCnnReference(c: CnnConfig, init: ModelState, batches: readonly CnnBatch[], steps: number, adam: AdamSpec): { losses: Float64Array; params: ModelState } {
  const layout = cnnLayout(c);
  const params = Object.fromEntries(Object.keys(layout.params).map((name) => [name, Float64Array.from(init[name]!.data as ArrayLike<number>)]));
  const m = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, new Float64Array(v.length)]));
  const v = Object.fromEntries(Object.entries(params).map(([k, p]) => [k, new Float64Array(p.length)]));
  const losses = new Float64Array(steps);
  for (let t = 1; t <= steps; t++) {
    const batch = batches[(t - 1) % batches.length]!;
    const { loss, grads } = cnnGradients(c, params, batch.images, batch.labels);
    losses[t - 1] = loss;
    const c1 = 1 - adam.beta1 ** t;
    const c2 = 1 - adam.beta2 ** t;
    for (const [name, p] of Object.entries(params)) {
      const g = grads[name]!;
      const [mk, vk] = [m[name]!, v[name]!];
      const decay = adam.lr * (adam.decay ?? 0);
      for (let q = 0; q < p.length; q++) {
        mk[q] = adam.beta1 * mk[q]! + (1 - adam.beta1) * g[q]!;
        vk[q] = adam.beta2 * vk[q]! + (1 - adam.beta2) * g[q]! * g[q]!;
        p[q] = p[q]! - (adam.lr * (mk[q]! / c1)) / (Math.sqrt(vk[q]! / c2) + adam.epsilon) - decay * p[q]!;
      }
    }
  }
  return { losses, params: Object.fromEntries(Object.entries(params).map(([name, p]) => [name, { data: p, dims: [...layout.params[name]!] }])) };
}
