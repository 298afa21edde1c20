/**
 * The hand-written baseline: forward, backward and update of a dense MLP in plain loops
 * over typed arrays, one core, no library. Parameters and optimizer state are float32
 * (as in every other contender), or float64 for the correctness gates' reference
 * (reference.ts); activations, gradients and sums are float64.
 */
import type { ModelState } from '@onnxpipe/graph-builder';
import { layerShapes, softplus, type Batch, type Workload } from './workloads.js';

export interface PlainResult {
  readonly losses: Float64Array;
  readonly params: ModelState;
}

/** Parameters and optimizer state: float32 as timed, float64 for the reference. */
type Store = Float32Array | Float64Array;
export type Storage = typeof Float32Array | typeof Float64Array;

export function trainPlain(w: Workload, init: ModelState, batches: readonly Batch[], steps: number, storage: Storage = Float32Array): PlainResult {
  const shapes = layerShapes(w);
  const last = shapes.length - 1;
  const B = w.batch;
  if (B % 4 !== 0) throw new Error(`trainPlain: the batch size must be a multiple of 4, got ${B}`);
  const [w1, w2] = w.widths;
  const kernels: Store[] = shapes.map((_, l) => storage.from(init[`dense_${l}.kernel`]!.data));
  const biases: Store[] = shapes.map((_, l) => storage.from(init[`dense_${l}.bias`]!.data));
  // acts[0] is the concatenated input; acts[l + 1] the output of layer l (logits for the last).
  const acts = [new Float64Array(B * (w1 + w2)), ...shapes.map(([, o]) => new Float64Array(B * o))];
  const deltas = shapes.map(([, o]) => new Float64Array(B * o));
  const gradK = shapes.map(([i, o]) => new Float64Array(i * o));
  const gradB = shapes.map(([, o]) => new Float64Array(o));
  const adam = w.optimizer.name === 'adam' ? w.optimizer : undefined;
  const moments = adam ? [...kernels, ...biases].map((p) => ({ m: new storage(p.length), v: new storage(p.length) })) : [];
  const losses = new Float64Array(steps);

  for (let t = 0; t < steps; t++) {
    const batch = batches[t % batches.length]!;
    const a0 = acts[0]!;
    for (let i = 0; i < B; i++) {
      for (let k = 0; k < w1; k++) a0[i * (w1 + w2) + k] = batch.x1[i * w1 + k]!;
      for (let k = 0; k < w2; k++) a0[i * (w1 + w2) + w1 + k] = batch.x2[i * w2 + k]!;
    }

    // forward
    for (let l = 0; l <= last; l++) {
      const [nin, nout] = shapes[l]!;
      const z = acts[l + 1]!;
      forwardDense(acts[l]!, kernels[l]!, biases[l]!, z, B, nin, nout);
      if (l < last) {
        if (w.layers[l]!.activation === 'tanh') for (let q = 0; q < z.length; q++) z[q] = Math.tanh(z[q]!);
        else for (let q = 0; q < z.length; q++) if (z[q]! < 0) z[q] = 0;
      }
    }

    // loss and its gradient with respect to the logits
    const [, classes] = shapes[last]!;
    const z = acts[last + 1]!;
    const dz = deltas[last]!;
    const y = batch.y;
    let loss = 0;
    if (w.loss === 'binary_cross_entropy') {
      const n = z.length;
      for (let q = 0; q < n; q++) {
        loss += softplus(z[q]!) - y[q]! * z[q]!;
        dz[q] = (1 / (1 + Math.exp(-z[q]!)) - y[q]!) / n;
      }
      loss /= n;
    } else {
      for (let i = 0; i < B; i++) {
        const o = i * classes;
        let max = -Infinity;
        for (let j = 0; j < classes; j++) max = Math.max(max, z[o + j]!);
        let s = 0;
        for (let j = 0; j < classes; j++) s += Math.exp(z[o + j]! - max);
        const lse = max + Math.log(s);
        for (let j = 0; j < classes; j++) {
          loss -= y[o + j]! * (z[o + j]! - lse);
          dz[o + j] = (Math.exp(z[o + j]! - lse) - y[o + j]!) / B;
        }
      }
      loss /= B;
    }
    losses[t] = loss;

    // backward
    for (let l = last; l >= 0; l--) {
      const [nin, nout] = shapes[l]!;
      gradDense(acts[l]!, deltas[l]!, gradK[l]!, gradB[l]!, B, nin, nout);
      if (l > 0) backDense(deltas[l]!, kernels[l]!, acts[l]!, deltas[l - 1]!, B, nin, nout, w.layers[l - 1]!.activation === 'tanh');
    }

    // update
    const params = [...kernels, ...biases];
    const grads = [...gradK, ...gradB];
    if (!adam) {
      const { lr } = w.optimizer;
      params.forEach((p, n) => {
        const g = grads[n]!;
        for (let q = 0; q < p.length; q++) p[q]! -= lr * g[q]!;
      });
    } else {
      const { lr, beta1, beta2, epsilon } = adam;
      const c1 = 1 - beta1 ** (t + 1);
      const c2 = 1 - beta2 ** (t + 1);
      params.forEach((p, n) => {
        const g = grads[n]!;
        const { m, v } = moments[n]!;
        for (let q = 0; q < p.length; q++) {
          const gq = g[q]!;
          m[q] = beta1 * m[q]! + (1 - beta1) * gq;
          v[q] = beta2 * v[q]! + (1 - beta2) * gq * gq;
          p[q]! -= (lr * (m[q]! / c1)) / (Math.sqrt(v[q]! / c2) + epsilon);
        }
      });
    }
  }

  const params: ModelState = {};
  shapes.forEach(([nin, nout], l) => {
    params[`dense_${l}.kernel`] = { data: kernels[l]!, dims: [nin, nout] };
    params[`dense_${l}.bias`] = { data: biases[l]!, dims: [nout] };
  });
  return { losses, params };
}

// The kernels take four rows at a time so that each load of a weight serves four examples.

/** z = a·W + b for a [rows, nin], W [nin, nout]. */
function forwardDense(a: Float64Array, W: Store, b: Store, z: Float64Array, rows: number, nin: number, nout: number): void {
  for (let i = 0; i < rows; i += 4) {
    const z0 = i * nout;
    const z1 = z0 + nout;
    const z2 = z1 + nout;
    const z3 = z2 + nout;
    for (let j = 0; j < nout; j++) z[z0 + j] = z[z1 + j] = z[z2 + j] = z[z3 + j] = b[j]!;
    const a0 = i * nin;
    for (let k = 0; k < nin; k++) {
      const x0 = a[a0 + k]!;
      const x1 = a[a0 + nin + k]!;
      const x2 = a[a0 + 2 * nin + k]!;
      const x3 = a[a0 + 3 * nin + k]!;
      const wo = k * nout;
      for (let j = 0; j < nout; j++) {
        const wj = W[wo + j]!;
        z[z0 + j]! += x0 * wj;
        z[z1 + j]! += x1 * wj;
        z[z2 + j]! += x2 * wj;
        z[z3 + j]! += x3 * wj;
      }
    }
  }
}

/** gK = aᵀ·d, gB = Σ rows of d. */
function gradDense(a: Float64Array, d: Float64Array, gK: Float64Array, gB: Float64Array, rows: number, nin: number, nout: number): void {
  gK.fill(0);
  gB.fill(0);
  for (let i = 0; i < rows; i += 4) {
    const d0 = i * nout;
    const d1 = d0 + nout;
    const d2 = d1 + nout;
    const d3 = d2 + nout;
    for (let j = 0; j < nout; j++) gB[j]! += d[d0 + j]! + d[d1 + j]! + d[d2 + j]! + d[d3 + j]!;
    const a0 = i * nin;
    for (let k = 0; k < nin; k++) {
      const x0 = a[a0 + k]!;
      const x1 = a[a0 + nin + k]!;
      const x2 = a[a0 + 2 * nin + k]!;
      const x3 = a[a0 + 3 * nin + k]!;
      const go = k * nout;
      for (let j = 0; j < nout; j++) gK[go + j]! += x0 * d[d0 + j]! + x1 * d[d1 + j]! + x2 * d[d2 + j]! + x3 * d[d3 + j]!;
    }
  }
}

/** prev = (d·Wᵀ) ⊙ act'(h), h the layer's input (the previous layer's activation). */
function backDense(d: Float64Array, W: Store, h: Float64Array, prev: Float64Array, rows: number, nin: number, nout: number, tanh: boolean): void {
  for (let i = 0; i < rows; i += 4) {
    const d0 = i * nout;
    const d1 = d0 + nout;
    const d2 = d1 + nout;
    const d3 = d2 + nout;
    const p0 = i * nin;
    for (let k = 0; k < nin; k++) {
      const wo = k * nout;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < nout; j++) {
        const wj = W[wo + j]!;
        s0 += d[d0 + j]! * wj;
        s1 += d[d1 + j]! * wj;
        s2 += d[d2 + j]! * wj;
        s3 += d[d3 + j]! * wj;
      }
      const q = p0 + k;
      prev[q] = s0 * derivative(h[q]!, tanh);
      prev[q + nin] = s1 * derivative(h[q + nin]!, tanh);
      prev[q + 2 * nin] = s2 * derivative(h[q + 2 * nin]!, tanh);
      prev[q + 3 * nin] = s3 * derivative(h[q + 3 * nin]!, tanh);
    }
  }
}

/** tanh'(z) = 1 - h², relu'(z) = [h > 0], from the activation h. */
const derivative = (h: number, tanh: boolean): number => (tanh ? 1 - h * h : h > 0 ? 1 : 0);
