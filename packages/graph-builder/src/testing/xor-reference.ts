/**
 * The XOR network (x1, x2 → concatenate → dense(8, tanh) → dense(1, sigmoid)) by hand in
 * float64: forward pass, binary cross-entropy from the logit, its gradient and an SGD step, in
 * plain loops from the math. It imports nothing from the builder, so a test comparing an exported
 * model or a trainer with it never compares the code under test with itself. Parameters carry
 * the builder's names; kernels are [in, out], row-major.
 */

/** Values of 'dense_0.kernel' [2, 8], 'dense_0.bias' [8], 'dense_1.kernel' [8, 1] and 'dense_1.bias' [1]. */
export type XorParams = Readonly<Record<string, ArrayLike<number>>>;

/** A batch as columns: x1, x2 and the 0/1 target y, one value per row. */
export interface XorRows {
  readonly x1: ArrayLike<number>;
  readonly x2: ArrayLike<number>;
  readonly y: ArrayLike<number>;
}

const K0 = 'dense_0.kernel';
const B0 = 'dense_0.bias';
const K1 = 'dense_1.kernel';
const B1 = 'dense_1.bias';
const HIDDEN = 8;

function values(p: XorParams, name: string): ArrayLike<number> {
  const v = p[name];
  if (!v) throw new Error(`xor reference: parameter '${name}' is missing`);
  return v;
}

/** Float64 copies of a model state's values, by parameter name. */
export function float64Params(state: Readonly<Record<string, { readonly data: ArrayLike<number> }>>): Record<string, Float64Array> {
  return Object.fromEntries(Object.entries(state).map(([name, t]) => [name, Float64Array.from(t.data)]));
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const softplus = (z: number): number => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

/** The hidden layer's tanh activations and the output logit for one example. */
function xorForward(p: XorParams, x1: number, x2: number): { hidden: number[]; logit: number } {
  const [k0, b0, k1] = [values(p, K0), values(p, B0), values(p, K1)];
  const hidden = Array.from({ length: HIDDEN }, (_, j) => Math.tanh(b0[j]! + x1 * k0[j]! + x2 * k0[HIDDEN + j]!));
  let logit = values(p, B1)[0]!;
  for (let j = 0; j < HIDDEN; j++) logit += hidden[j]! * k1[j]!;
  return { hidden, logit };
}

/** The network's output, sigmoid(logit), for one example. */
export const xorProbability = (p: XorParams, x1: number, x2: number): number => sigmoid(xorForward(p, x1, x2).logit);

/**
 * The batch's mean binary cross-entropy from the logits, mean(softplus(z) − y·z), its gradient
 * for every parameter (by the chain rule through sigmoid, the output layer, tanh and the first
 * layer) and each row's probability.
 */
export function xorLossAndGrads(p: XorParams, batch: XorRows): { loss: number; grads: Record<string, Float64Array>; probs: number[] } {
  const n = batch.y.length;
  const k1 = values(p, K1);
  const grads = { [K0]: new Float64Array(2 * HIDDEN), [B0]: new Float64Array(HIDDEN), [K1]: new Float64Array(HIDDEN), [B1]: new Float64Array(1) };
  let loss = 0;
  const probs: number[] = [];
  for (let r = 0; r < n; r++) {
    const x = [batch.x1[r]!, batch.x2[r]!];
    const { hidden, logit } = xorForward(p, x[0]!, x[1]!);
    const y = batch.y[r]!;
    loss += (softplus(logit) - y * logit) / n;
    probs.push(sigmoid(logit));
    const dz = (sigmoid(logit) - y) / n;
    grads[B1]![0]! += dz;
    for (let j = 0; j < HIDDEN; j++) {
      grads[K1]![j]! += hidden[j]! * dz;
      const da = dz * k1[j]! * (1 - hidden[j]! * hidden[j]!);
      grads[B0]![j]! += da;
      for (let i = 0; i < 2; i++) grads[K0]![i * HIDDEN + j]! += x[i]! * da;
    }
  }
  return { loss, grads, probs };
}

/** One SGD step on `p` in place, p ← p − lr·∇loss; returns the loss before the update. */
export function xorSgdStep(p: Record<string, Float64Array>, batch: XorRows, lr: number): number {
  const { loss, grads } = xorLossAndGrads(p, batch);
  for (const [name, g] of Object.entries(grads)) {
    const v = values(p, name) as Float64Array;
    v.forEach((value, i) => (v[i] = value - lr * g[i]!));
  }
  return loss;
}

/** Per-example binary cross-entropy and accuracy (logit ≥ 0 counts as 1), averaged over every row of `batches`. */
export function xorEvaluate(p: XorParams, batches: readonly XorRows[]): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  let count = 0;
  for (const b of batches) {
    for (let r = 0; r < b.y.length; r++) {
      const { logit } = xorForward(p, b.x1[r]!, b.x2[r]!);
      const y = b.y[r]!;
      loss += softplus(logit) - y * logit;
      if ((logit >= 0 ? 1 : 0) === y) correct++;
      count++;
    }
  }
  return { loss: loss / count, accuracy: correct / count };
}
