import type { GraphBuilder } from './ir/builder.js';
import { formatShape, isFloat, type Dim, type DType, type Shape, type Value } from './ir/types.js';
import { onnxDataType } from './onnx/dtypes.js';
import { countOf } from './ops/grad.js';

export const lossNames = [
  'binary_cross_entropy',
  'categorical_cross_entropy',
  'sparse_categorical_cross_entropy',
  'mean_squared_error',
  'mean_absolute_error',
] as const;
export type LossName = (typeof lossNames)[number];

/**
 * A loss by name, or with options: `fromLogits: true` says the output is the logits (a
 * `Gemm` at the end of an imported classifier) rather than the probabilities of a sigmoid
 * or softmax; the cross-entropies then apply the sigmoid or softmax themselves.
 */
export type LossSpec = LossName | { readonly name: LossName; readonly fromLogits?: boolean };

export interface Loss {
  readonly name: LossName;
  readonly fromLogits: boolean;
}

/** Probabilities are clipped to [eps, 1 - eps] before a log, as Axon does. */
const EPSILON = 1e-7;

const crossEntropies: readonly LossName[] = ['binary_cross_entropy', 'categorical_cross_entropy', 'sparse_categorical_cross_entropy'];

export function checkLoss(spec: unknown, where: string): Loss {
  const expected = `expected one of ${lossNames.join(', ')}, or { name, fromLogits }`;
  const name = typeof spec === 'object' && spec !== null ? (spec as { name?: unknown }).name : spec;
  if (typeof name !== 'string' || !(lossNames as readonly string[]).includes(name)) throw new Error(`${where}: unknown loss ${JSON.stringify(name)}; ${expected}`);
  const fromLogits = typeof spec === 'object' && spec !== null ? ((spec as { fromLogits?: unknown }).fromLogits ?? false) : false;
  if (typeof fromLogits !== 'boolean') throw new Error(`${where}: fromLogits must be true or false, got ${JSON.stringify(fromLogits)}`);
  if (fromLogits && !crossEntropies.includes(name as LossName)) throw new Error(`${where}: fromLogits applies to the cross-entropies, not to ${name}`);
  return { name: name as LossName, fromLogits };
}

/**
 * Class indices, one per example: always for sparse categorical cross-entropy, and for
 * categorical cross-entropy when the targets are integers.
 */
export function isSparseTarget(loss: Loss, targetDType: DType): boolean {
  return loss.name === 'sparse_categorical_cross_entropy' || (loss.name === 'categorical_cross_entropy' && !isFloat(targetDType));
}

/** The shape the target must have for an output of shape `output`. */
export function targetShape(loss: Loss, output: Shape, targetDType: DType): Shape {
  return isSparseTarget(loss, targetDType) ? output.slice(0, -1) : output;
}

function checkTarget(loss: Loss, output: Value, target: Value, where: string): void {
  const expected = targetShape(loss, output.shape, target.dtype);
  const fits = target.shape.length === expected.length && target.shape.every((d, i) => d === expected[i]);
  if (!fits) {
    throw new Error(`${where}: target shape ${formatShape(target.shape)} does not fit output '${output.name}' of shape ${formatShape(output.shape)}; expected ${formatShape(expected)}`);
  }
  if (!isFloat(output.dtype)) throw new Error(`${where}: output '${output.name}' must be float, got ${output.dtype}`);
}

const mean = (b: GraphBuilder, v: Value): Value => b.op('ReduceMean', [v], { keepdims: 0 });

/** dy / count, count the number of elements along `dims` of v (a Size node when a symbolic one is not bound). */
function perCount(b: GraphBuilder, dy: Value, v: Value, dims: readonly Dim[]): Value {
  const count = countOf(b, dims, v.dtype);
  if (typeof count === 'number') return b.op('Mul', [dy, b.constant(1 / count, v.dtype)]);
  if (count) return b.op('Div', [dy, count]);
  const all = b.op('Div', [dy, b.op('Cast', [b.op('Size', [v])], { to: onnxDataType[v.dtype] })]);
  return dims.length === v.shape.length ? all : b.op('Mul', [all, b.constant(v.shape[v.shape.length - 1] as number, v.dtype)]);
}

/** dy / (number of elements of v): the gradient a mean over all of v gives each element. */
const perElement = (b: GraphBuilder, dy: Value, v: Value): Value => perCount(b, dy, v, v.shape);

/** dy / (number of rows of v, all dims but the last, which is static). */
const perRow = (b: GraphBuilder, dy: Value, v: Value): Value => perCount(b, dy, v, v.shape.slice(0, -1));

/** The value before the last activation, when `output` is made by that activation. */
function preActivation(output: Value, op: string): Value | undefined {
  const producer = output.producer;
  return producer?.op === op ? (producer.inputs[0] ?? undefined) : undefined;
}

/**
 * Class indices → one-hot rows of `dtype`. onnxruntime implements OneHot for int64 indices with
 * an int64 depth and float32 values, not for int32 indices with an int64 depth nor for float64
 * values, so other index types are cast to int64 and float64 rows are cast from float32.
 */
function oneHot(b: GraphBuilder, target: Value, depth: number, dtype: DType): Value {
  const indices = target.dtype === 'int64' ? target : b.op('Cast', [target], { to: onnxDataType.int64 });
  const rows = b.op('OneHot', [indices, b.constant([depth], 'int64'), b.constant([0, 1], 'float32')], { axis: -1 });
  return dtype === 'float32' ? rows : b.op('Cast', [rows], { to: onnxDataType[dtype] });
}

/** The value before the last activation, when the output is a sigmoid or softmax (or is the logits itself). */
function logitsOf(loss: Loss, output: Value, op: 'Sigmoid' | 'Softmax'): Value | undefined {
  return loss.fromLogits ? output : preActivation(output, op);
}

/**
 * Emit `loss(output, target)` as a scalar, mean-reduced over every element (per example for
 * the categorical cross-entropies). Cross-entropies on logits (`fromLogits`, or an output made
 * by a sigmoid/softmax) are computed from the logits, with a fused gradient.
 */
export function emitLoss(b: GraphBuilder, loss: Loss, output: Value, target: Value, where: string = loss.name): Value {
  checkTarget(loss, output, target, where);
  const dtype = output.dtype;
  const one = b.constant(1, dtype);
  const sparse = isSparseTarget(loss, target.dtype);
  if (sparse && isFloat(target.dtype) && loss.name === 'sparse_categorical_cross_entropy') {
    throw new Error(`${where}: sparse_categorical_cross_entropy takes integer class indices; give targetDType 'int32' or 'int64'`);
  }
  const y = sparse
    ? oneHot(b, target, output.shape[output.shape.length - 1] as number, dtype)
    : target.dtype === dtype
      ? target
      : b.op('Cast', [target], { to: onnxDataType[dtype] });
  return b.scoped(`loss_${loss.name}`, () => {
    switch (loss.name) {
      case 'binary_cross_entropy': {
        const logits = logitsOf(loss, output, 'Sigmoid');
        if (logits) {
          // softplus(z) − y·z, finite for every finite z: onnxruntime's float32 Softplus (cpu, wasm
          // and webgpu) is; its float64 one overflows from z ≈ 710, so float64 takes
          // max(z, 0) − y·z + log(1 + exp(−|z|)). The gradient, (sigmoid(z) − y) / n, is given directly.
          const probability = loss.fromLogits ? b.op('Sigmoid', [logits]) : output;
          const bce = () => {
            if (logits.dtype === 'float32') return mean(b, b.op('Sub', [b.op('Softplus', [logits]), b.op('Mul', [y, logits])]));
            const softplusTail = b.op('Softplus', [b.op('Neg', [b.op('Abs', [logits])])]);
            return mean(b, b.op('Add', [b.op('Sub', [b.op('Relu', [logits]), b.op('Mul', [y, logits])]), softplusTail]));
          };
          return b.composite([logits], bce, (dy) => [b.op('Mul', [b.op('Sub', [probability, y]), perElement(b, dy, logits)])]);
        }
        const p = b.op('Clip', [output, b.constant(EPSILON, dtype), b.constant(1 - EPSILON, dtype)]);
        const ll = b.op('Add', [b.op('Mul', [y, b.op('Log', [p])]), b.op('Mul', [b.op('Sub', [one, y]), b.op('Log', [b.op('Sub', [one, p])])])]);
        return b.op('Neg', [mean(b, ll)]);
      }
      case 'categorical_cross_entropy':
      case 'sparse_categorical_cross_entropy': {
        const logits = logitsOf(loss, output, 'Softmax');
        const cce = (logp: Value) => b.op('Neg', [mean(b, b.op('ReduceSum', [b.op('Mul', [y, logp]), b.constant([-1], 'int64')], { keepdims: 0 }))]);
        if (!logits) return cce(b.op('Log', [b.op('Clip', [output, b.constant(EPSILON, dtype), b.constant(1 - EPSILON, dtype)])]));
        // d/dz of -mean_rows(sum(y · log_softmax(z))) = (softmax(z) · sum(y) - y) / rows; one-hot rows sum to 1.
        const probabilities = loss.fromLogits ? b.op('Softmax', [logits], { axis: -1 }) : output;
        return b.composite([logits], () => cce(b.op('LogSoftmax', [logits], { axis: -1 })), (dy) => {
          const rowSum = b.op('ReduceSum', [y, b.constant([-1], 'int64')], { keepdims: 1 });
          return [b.op('Mul', [b.op('Sub', [b.op('Mul', [probabilities, rowSum]), y]), perRow(b, dy, logits)])];
        });
      }
      case 'mean_squared_error': {
        const d = b.op('Sub', [output, y]);
        return mean(b, b.op('Mul', [d, d]));
      }
      case 'mean_absolute_error':
        return mean(b, b.op('Abs', [b.op('Sub', [output, y])]));
    }
  });
}
