import type { GraphBuilder } from '../ir/builder.js';
import type { Value } from '../ir/types.js';
import { checkFloat, checkName, checkTensor, describe, where as at } from './checks.js';
import type { BatchNormOptions, LayerNormOptions } from './options.js';
import { layer, type SymbolicTensor } from './symbolic.js';

function checkAxis(x: SymbolicTensor, axis: number, where: string): number {
  const rank = x.shape.length;
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 1 || a >= rank) throw new Error(`${where}: axis ${JSON.stringify(axis)} is out of range for ${describe(x)} (the batch axis 0 cannot be normalised over)`);
  if (typeof x.shape[a] !== 'number') throw new Error(`${where}: axis ${axis} of ${describe(x)} must have a fixed size`);
  return a;
}

function checkUnitInterval(value: number, what: string, where: string, open: boolean): number {
  if (typeof value !== 'number' || !(value >= 0 && (open ? value < 1 : value <= 1)) || (what === 'epsilon' && !(value > 0))) {
    throw new Error(`${where}: ${what} must be ${what === 'epsilon' ? 'a positive number' : 'in [0, 1)'}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** `v` ([size]) shaped to broadcast along `axis` of a rank-`rank` tensor: [1, size, 1, 1] for axis 1 of rank 4. */
function alongAxis(b: GraphBuilder, v: Value, axis: number, rank: number, size: number): Value {
  if (axis === rank - 1) return v;
  return b.op('Reshape', [v, b.constant(Array.from({ length: rank }, (_, i) => (i === axis ? size : 1)), 'int64')]);
}

/** mean and biased variance of `x` over `axes`, kept as size-1 dims. */
function moments(b: GraphBuilder, x: Value, axes: readonly number[]): { mean: Value; centered: Value; variance: Value } {
  const axesValue = b.constant(axes, 'int64');
  const mean = b.op('ReduceMean', [x, axesValue], { keepdims: 1 });
  const centered = b.op('Sub', [x, mean]);
  const variance = b.op('ReduceMean', [b.op('Mul', [centered, centered]), axesValue], { keepdims: 1 });
  return { mean, centered, variance };
}

/**
 * Batch normalisation over every axis but `axis` (the channels). In a train step: batch
 * statistics, and the running mean and variance (non-trainable parameters `mean` and `var`)
 * move towards them: running ← momentum · running + (1 − momentum) · batch (biased variance,
 * as Keras). Elsewhere: the running statistics, as one BatchNormalization node when the
 * channels are on axis 1 of the stored tensor.
 */
export function batchNorm(x: SymbolicTensor, options: BatchNormOptions = {}): SymbolicTensor {
  const where = at('batchNorm', options.name);
  checkTensor(x, where);
  checkFloat(x, where);
  const momentum = checkUnitInterval(options.momentum ?? 0.99, 'momentum', where, false);
  const epsilon = checkUnitInterval(options.epsilon ?? 1e-3, 'epsilon', where, false);
  const logicalAxis = checkAxis(x, options.axis ?? -1, where);
  const channels = x.shape[logicalAxis] as number;
  const vector = (initializer: 'zeros' | 'ones', trainable = true) => ({ shape: [channels], initializer, trainable });
  return layer(
    {
      kind: 'batchNorm',
      name: checkName(options.name, where),
      inputs: [x],
      params: { gamma: vector('ones'), beta: vector('zeros'), mean: vector('zeros', false), var: vector('ones', false) },
      info: `momentum ${momentum}, epsilon ${epsilon}`,
      layout: 'preserve',
      lower: ({ b, training, axis: physical, update }, [v], p) => {
        const rank = x.shape.length;
        const axis = physical(logicalAxis, rank);
        const dtype = v!.dtype;
        // BatchNormalization's epsilon is a FLOAT attribute: train and infer with its float32 value.
        const eps = Math.fround(epsilon);
        if (!training && axis === 1) {
          return b.op('BatchNormalization', [v!, p.gamma!, p.beta!, p.mean!, p.var!], { epsilon });
        }
        const shaped = (t: Value) => alongAxis(b, t, axis, rank, channels);
        let centered: Value;
        let variance: Value;
        if (training) {
          const stats = moments(b, v!, Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis));
          ({ centered, variance } = stats);
          const flat = (t: Value) => b.op('Reshape', [t, b.constant([channels], 'int64')]);
          const keep = b.constant(momentum, dtype);
          const blend = b.constant(1 - momentum, dtype);
          update('mean', b.op('Add', [b.op('Mul', [p.mean!, keep]), b.op('Mul', [flat(stats.mean), blend])]));
          update('var', b.op('Add', [b.op('Mul', [p.var!, keep]), b.op('Mul', [flat(variance), blend])]));
        } else {
          centered = b.op('Sub', [v!, shaped(p.mean!)]);
          variance = shaped(p.var!);
        }
        const normalised = b.op('Div', [centered, b.op('Sqrt', [b.op('Add', [variance, b.constant(eps, dtype)])])]);
        return b.op('Add', [b.op('Mul', [normalised, shaped(p.gamma!)]), shaped(p.beta!)]);
      },
    },
    x.shape,
    x.dtype,
  );
}

/** Layer normalisation over `axis` (default the last), with a scale (`gamma`) and an offset (`beta`) of its size. */
export function layerNorm(x: SymbolicTensor, options: LayerNormOptions = {}): SymbolicTensor {
  const where = at('layerNorm', options.name);
  checkTensor(x, where);
  checkFloat(x, where);
  const epsilon = checkUnitInterval(options.epsilon ?? 1e-5, 'epsilon', where, false);
  const axis = checkAxis(x, options.axis ?? -1, where);
  const size = x.shape[axis] as number;
  return layer(
    {
      kind: 'layerNorm',
      name: checkName(options.name, where),
      inputs: [x],
      params: { gamma: { shape: [size], initializer: 'ones' }, beta: { shape: [size], initializer: 'zeros' } },
      info: `epsilon ${epsilon}`,
      lower: ({ b }, [v], p) => {
        const rank = x.shape.length;
        const { centered, variance } = moments(b, v!, [axis]);
        const normalised = b.op('Div', [centered, b.op('Sqrt', [b.op('Add', [variance, b.constant(epsilon, v!.dtype)])])]);
        return b.op('Add', [b.op('Mul', [normalised, alongAxis(b, p.gamma!, axis, rank, size)]), alongAxis(b, p.beta!, axis, rank, size)]);
      },
    },
    x.shape,
    x.dtype,
  );
}
