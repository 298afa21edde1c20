import type { GraphBuilder } from './ir/builder.js';
import { formatShape, isFloat, type DType, type Shape, type Value } from './ir/types.js';
import { onnxDataType } from './onnx/dtypes.js';

export const lossNames = ['binary_cross_entropy', 'categorical_cross_entropy', 'mean_squared_error', 'mean_absolute_error'] as const;
export type LossName = (typeof lossNames)[number];

/** Probabilities are clipped to [eps, 1 - eps] before a log, as Axon does. */
const EPSILON = 1e-7;

export function checkLossName(name: unknown, where: string): LossName {
  if (typeof name === 'string' && (lossNames as readonly string[]).includes(name)) return name as LossName;
  throw new Error(`${where}: unknown loss ${JSON.stringify(name)}; expected one of ${lossNames.join(', ')}`);
}

/** Integer targets of categorical cross-entropy are class indices: one per example. */
export function isSparseTarget(loss: LossName, targetDType: DType): boolean {
  return loss === 'categorical_cross_entropy' && !isFloat(targetDType);
}

/** The shape the target must have for `output`. */
export function targetShape(loss: LossName, output: Value, targetDType: DType): Shape {
  return isSparseTarget(loss, targetDType) ? output.shape.slice(0, -1) : output.shape;
}

function checkTarget(loss: LossName, output: Value, target: Value, where: string): void {
  const expected = targetShape(loss, output, target.dtype);
  const fits = target.shape.length === expected.length && target.shape.every((d, i) => d === expected[i]);
  if (!fits) {
    throw new Error(`${where}: target shape ${formatShape(target.shape)} does not fit output '${output.name}' of shape ${formatShape(output.shape)}; expected ${formatShape(expected)}`);
  }
  if (!isFloat(output.dtype)) throw new Error(`${where}: output '${output.name}' must be float, got ${output.dtype}`);
}

const mean = (b: GraphBuilder, v: Value): Value => b.op('ReduceMean', [v], { keepdims: 0 });

/** The value before the last activation, when `output` is made by that activation. */
function preActivation(output: Value, op: string): Value | undefined {
  const producer = output.producer;
  return producer?.op === op ? (producer.inputs[0] ?? undefined) : undefined;
}

/** Emit `loss(output, target)` as a scalar, mean-reduced over every element (per example for CCE). */
export function emitLoss(b: GraphBuilder, loss: LossName, output: Value, target: Value, where: string = loss): Value {
  checkTarget(loss, output, target, where);
  const dtype = output.dtype;
  const one = b.constant(1, dtype);
  const y = isSparseTarget(loss, target.dtype)
    ? b.op('OneHot', [target, b.constant([output.shape[output.shape.length - 1] as number], 'int64'), b.constant([0, 1], dtype)], { axis: -1 })
    : target.dtype === dtype
      ? target
      : b.op('Cast', [target], { to: onnxDataType[dtype] });
  return b.scoped(`loss_${loss}`, () => {
    switch (loss) {
      case 'binary_cross_entropy': {
        const logits = preActivation(output, 'Sigmoid');
        if (logits) return mean(b, b.op('Sub', [b.op('Softplus', [logits]), b.op('Mul', [y, logits])]));
        const p = b.op('Clip', [output, b.constant(EPSILON, dtype), b.constant(1 - EPSILON, dtype)]);
        const ll = b.op('Add', [b.op('Mul', [y, b.op('Log', [p])]), b.op('Mul', [b.op('Sub', [one, y]), b.op('Log', [b.op('Sub', [one, p])])])]);
        return b.op('Neg', [mean(b, ll)]);
      }
      case 'categorical_cross_entropy': {
        const logits = preActivation(output, 'Softmax');
        const logp = logits
          ? b.op('LogSoftmax', [logits], { axis: -1 })
          : b.op('Log', [b.op('Clip', [output, b.constant(EPSILON, dtype), b.constant(1 - EPSILON, dtype)])]);
        const perExample = b.op('ReduceSum', [b.op('Mul', [y, logp]), b.constant([-1], 'int64')], { keepdims: 0 });
        return b.op('Neg', [mean(b, perExample)]);
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
