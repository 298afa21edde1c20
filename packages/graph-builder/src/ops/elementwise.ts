import { arg, broadcastShapes, floatUnary, sameDType } from './rules.js';
import { scalar, unbroadcast } from './grad.js';
import { readAttrs, type OpDef, type VjpRule } from './types.js';
import { onnxDataType } from '../onnx/dtypes.js';

const hardSigmoidAttrs = { alpha: { type: 'float', default: 0.2 }, beta: { type: 'float', default: 0.5 } } as const;
const eluAttrs = { alpha: { type: 'float', default: 1 } } as const;
const seluAttrs = { alpha: { type: 'float', default: 1.67326319217681884765625 }, gamma: { type: 'float', default: 1.05070102214813232421875 } } as const;
const geluAttrs = { approximate: { type: 'string', default: 'none' } } as const;

/** Elementwise ops over any number of inputs, broadcast together (Sum, Mean, Min, Max). */
const variadic: OpDef['infer'] = (inputs, _attrs, node) => {
  if (inputs.length === 0) throw new Error(`node ${node}: needs at least one input`);
  const xs = inputs.map((_, i) => arg(inputs, i, node));
  return [{ dtype: sameDType(xs, node), shape: xs.map((x) => x.shape).reduce((a, s) => broadcastShapes(a, s, node)) }];
};

/**
 * Min and Max: the gradient goes to the inputs equal to the output; where several are
 * (ties, or a value given twice), they share it equally, as PyTorch's maximum/minimum do.
 */
const extremumVjp: VjpRule = ([dy], { inputs, outputs: [y] }, b) => {
  const to = onnxDataType[dy!.dtype];
  const masks = inputs.map((x) => b.op('Cast', [b.op('Equal', [x!, y!])], { to }));
  const count = masks.reduce((total, m) => b.op('Add', [total, m]));
  const share = masks.length === 1 ? dy! : b.op('Div', [dy!, count]);
  return inputs.map((x, i) => unbroadcast(b, masks.length === 1 ? share : b.op('Mul', [share, masks[i]!]), x!));
};

export const Max: OpDef = { attrs: {}, infer: variadic, vjp: extremumVjp };
export const Min: OpDef = { attrs: {}, infer: variadic, vjp: extremumVjp };

export const Sum: OpDef = {
  attrs: {},
  infer: variadic,
  vjp: ([dy], { inputs }, b) => inputs.map((x) => unbroadcast(b, dy!, x!)),
};

export const Mean: OpDef = {
  attrs: {},
  infer: variadic,
  vjp: ([dy], { inputs }, b) => {
    const share = b.op('Mul', [dy!, scalar(b, 1 / inputs.length, dy!)]);
    return inputs.map((x) => unbroadcast(b, share, x!));
  },
};

export const Reciprocal: OpDef = {
  attrs: {},
  infer: floatUnary,
  vjp: ([dy], { outputs: [y] }, b) => [b.op('Neg', [b.op('Mul', [dy!, b.op('Mul', [y!, y!])])])],
};

/** y = max(0, min(1, alpha·x + beta)): slope alpha where 0 < y < 1. */
export const HardSigmoid: OpDef<typeof hardSigmoidAttrs> = {
  attrs: hardSigmoidAttrs,
  infer: floatUnary,
  vjp: ([dy], { outputs: [y], attrs }, b) => {
    const alpha = Math.fround(readAttrs(hardSigmoidAttrs, attrs).alpha);
    const inside = b.op('And', [b.op('Greater', [y!, scalar(b, 0, y!)]), b.op('Less', [y!, scalar(b, 1, y!)])]);
    return [b.op('Where', [inside, b.op('Mul', [dy!, scalar(b, alpha, y!)]), scalar(b, 0, y!)])];
  },
};

/** y = x·max(0, min(1, x/6 + 1/2)): slope 0 below −3, x/3 + 1/2 between, 1 above 3. */
export const HardSwish: OpDef = {
  attrs: {},
  infer: floatUnary,
  vjp: ([dy], { inputs: [x] }, b) => {
    const slope = b.op('Add', [b.op('Mul', [x!, scalar(b, 1 / 3, x!)]), scalar(b, 0.5, x!)]);
    const clamped = b.op('Where', [b.op('Less', [x!, scalar(b, -3, x!)]), scalar(b, 0, x!), b.op('Where', [b.op('Greater', [x!, scalar(b, 3, x!)]), scalar(b, 1, x!), slope])]);
    return [b.op('Mul', [dy!, clamped])];
  },
};

const TANH_GELU_SCALE = Math.sqrt(2 / Math.PI);
const TANH_GELU_CUBIC = 0.044715;

/**
 * ONNX Gelu (opset 20): x·Φ(x) (approximate 'none'), or 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
 * ('tanh'). The 'none' rule needs Erf, which onnxruntime has only in float32.
 */
export const Gelu: OpDef<typeof geluAttrs> = {
  attrs: geluAttrs,
  infer: (inputs, attrs, node) => {
    const { approximate } = readAttrs(geluAttrs, attrs);
    if (approximate !== 'none' && approximate !== 'tanh') throw new Error(`node ${node}: Gelu's approximate must be 'none' or 'tanh', got '${approximate}'`);
    return floatUnary(inputs, attrs, node);
  },
  vjp: ([dy], { inputs: [x], attrs }, b) => {
    const c = (v: number) => scalar(b, v, x!);
    const xx = b.op('Mul', [x!, x!]);
    if (readAttrs(geluAttrs, attrs).approximate === 'tanh') {
      // d/dx = ½(1 + t) + ½·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²), t = tanh(√(2/π)·(x + 0.044715·x³))
      const inner = b.op('Mul', [c(TANH_GELU_SCALE), b.op('Add', [x!, b.op('Mul', [c(TANH_GELU_CUBIC), b.op('Mul', [xx, x!])])])]);
      const t = b.op('Tanh', [inner]);
      const dInner = b.op('Mul', [c(TANH_GELU_SCALE), b.op('Add', [c(1), b.op('Mul', [c(3 * TANH_GELU_CUBIC), xx])])]);
      const half = b.op('Mul', [c(0.5), b.op('Add', [c(1), t])]);
      const tail = b.op('Mul', [b.op('Mul', [c(0.5), x!]), b.op('Mul', [b.op('Sub', [c(1), b.op('Mul', [t, t])]), dInner])]);
      return [b.op('Mul', [dy!, b.op('Add', [half, tail])])];
    }
    // d/dx = Φ(x) + x·φ(x), Φ(x) = ½(1 + erf(x/√2)), φ(x) = exp(−x²/2)/√(2π)
    const cdf = b.op('Mul', [c(0.5), b.op('Add', [c(1), b.op('Erf', [b.op('Mul', [x!, c(Math.SQRT1_2)])])])]);
    const pdf = b.op('Mul', [c(1 / Math.sqrt(2 * Math.PI)), b.op('Exp', [b.op('Mul', [xx, c(-0.5)])])]);
    return [b.op('Mul', [dy!, b.op('Add', [cdf, b.op('Mul', [x!, pdf])])])];
  },
};

/** x for x > 0, alpha·(eˣ − 1) below: slope 1, or y + alpha. */
export const Elu: OpDef<typeof eluAttrs> = {
  attrs: eluAttrs,
  infer: floatUnary,
  vjp: ([dy], { inputs: [x], outputs: [y], attrs }, b) => {
    const alpha = Math.fround(readAttrs(eluAttrs, attrs).alpha);
    const below = b.op('Mul', [dy!, b.op('Add', [y!, scalar(b, alpha, y!)])]);
    return [b.op('Where', [b.op('Greater', [x!, scalar(b, 0, x!)]), dy!, below])];
  },
};

/** gamma·x for x > 0, gamma·alpha·(eˣ − 1) below: slope gamma, or y + gamma·alpha. */
export const Selu: OpDef<typeof seluAttrs> = {
  attrs: seluAttrs,
  infer: floatUnary,
  vjp: ([dy], { inputs: [x], outputs: [y], attrs }, b) => {
    const { alpha, gamma } = readAttrs(seluAttrs, attrs);
    const [a, g] = [Math.fround(alpha), Math.fround(gamma)];
    const below = b.op('Mul', [dy!, b.op('Add', [y!, scalar(b, a * g, y!)])]);
    return [b.op('Where', [b.op('Greater', [x!, scalar(b, 0, x!)]), b.op('Mul', [dy!, scalar(b, g, y!)]), below])];
  },
};

/**
 * Floor, Ceil and Round are piecewise constant: their gradient is 0 wherever it exists (all
 * but the integers, or the half-integers for Round), as in PyTorch. The rule gives no
 * gradient (null), which the reverse pass treats as zero.
 */
const stepVjp: VjpRule = () => [null];
const roundingOp = (): OpDef => ({ attrs: {}, infer: floatUnary, vjp: stepVjp });
export const Floor: OpDef = roundingOp();
export const Ceil: OpDef = roundingOp();
export const Round: OpDef = roundingOp();
