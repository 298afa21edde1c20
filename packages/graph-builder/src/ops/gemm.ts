import { floatInput, sameDType } from './rules.js';
import { unbroadcast } from './grad.js';
import { readAttrs, type OpDef } from './types.js';
import { formatShape, type Value } from '../ir/types.js';

const gemmAttrs = {
  alpha: { type: 'float', default: 1 },
  beta: { type: 'float', default: 1 },
  transA: { type: 'int', default: 0 },
  transB: { type: 'int', default: 0 },
} as const;

/**
 * Y = alpha · A' · B' + beta · C, A' = transA ? Aᵀ : A of [M, K], B' = transB ? Bᵀ : B of
 * [K, N], C (optional) broadcast one way to [M, N].
 */
export const Gemm: OpDef<typeof gemmAttrs> = {
  attrs: gemmAttrs,
  infer: (inputs, attrs, node) => {
    const a = floatInput(inputs, 0, node);
    const w = floatInput(inputs, 1, node);
    const c = inputs[2] ?? null;
    if (a.shape.length !== 2 || w.shape.length !== 2) {
      throw new Error(`node ${node}: Gemm takes 2-D A and B, got ${formatShape(a.shape)} and ${formatShape(w.shape)}`);
    }
    const { transA, transB } = readAttrs(gemmAttrs, attrs);
    const [m, k1] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [k2, n] = transB ? [w.shape[1]!, w.shape[0]!] : [w.shape[0]!, w.shape[1]!];
    if (k1 !== k2) {
      throw new Error(`node ${node}: Gemm inner dimensions differ: A' is [${m}, ${k1}], B' is [${k2}, ${n}] (transA ${transA}, transB ${transB})`);
    }
    const dtype = sameDType(c ? [a, w, c] : [a, w], node);
    if (c) {
      const target = [m, n].slice(2 - c.shape.length);
      const fits = c.shape.length <= 2 && c.shape.every((d, i) => d === 1 || d === target[i]);
      if (!fits) throw new Error(`node ${node}: Gemm's C ${formatShape(c.shape)} does not broadcast to [${m}, ${n}]`);
    }
    return [{ dtype, shape: [m, n] }];
  },
  // The matrix products of the gradient are Gemms with the transposes folded into transA/transB.
  vjp: ([dy], { inputs: [a, w, c], attrs }, b) => {
    const { alpha: alphaAttr, beta: betaAttr, transA, transB } = readAttrs(gemmAttrs, attrs);
    // alpha and beta are FLOAT attributes: the forward pass scales by their float32 roundings.
    const alpha = Math.fround(alphaAttr);
    const beta = Math.fround(betaAttr);
    // Only the attributes that differ from their defaults are written.
    const gemm = (p: Value, q: Value, tp: boolean, tq: boolean) => b.op('Gemm', [p, q], { ...(alpha === 1 ? {} : { alpha }), ...(tp ? { transA: 1 } : {}), ...(tq ? { transB: 1 } : {}) });
    // dA' = alpha·dY·B'ᵀ; dA = transA ? dA'ᵀ = alpha·B'·dYᵀ : dA'.
    const da = transA ? gemm(w!, dy!, Boolean(transB), true) : gemm(dy!, w!, false, !transB);
    // dB' = alpha·A'ᵀ·dY; dB = transB ? dB'ᵀ = alpha·dYᵀ·A' : dB'.
    const dw = transB ? gemm(dy!, a!, true, Boolean(transA)) : gemm(a!, dy!, !transA, false);
    const dc = c ? unbroadcast(b, beta === 1 ? dy! : b.op('Mul', [dy!, b.constant(beta, dy!.dtype)]), c) : null;
    return [da, dw, dc];
  },
};
