import type { DType, Dim, Shape } from '../ir/types.js';
import { activationNames, activations, isActivationName, type ActivationName } from './activations.js';
import { checkFloat, checkName, checkTensor, describe } from './checks.js';
import { validateInitializer } from './initializers.js';
import type { ConcatenateOptions, DenseOptions, DropoutOptions, InputOptions, NameOption } from './options.js';
import { batchNorm, layerNorm } from './norm.js';
import { embedding } from './embedding.js';
import { avgPool, conv, flatten, globalAvgPool, globalMaxPool, maxPool, reshape } from './spatial.js';
import { layer, SymbolicTensor } from './symbolic.js';

export function input(name: string, options: InputOptions): SymbolicTensor {
  checkName(name, 'input');
  if (name === undefined) throw new Error('input: a name is required');
  const { shape, dtype = 'float32' } = options ?? ({} as InputOptions);
  if (!Array.isArray(shape) || shape.length === 0) {
    throw new Error(`input '${name}': shape must be a non-empty array like [null, 1], got ${JSON.stringify(shape)}`);
  }
  shape.forEach((d, i) => {
    const ok = (i === 0 && d === null) || (typeof d === 'number' && Number.isInteger(d) && d > 0);
    if (!ok) throw new Error(`input '${name}': dimension ${i} is ${JSON.stringify(d)}; expected a positive integer${i === 0 ? ' or null (batch)' : ''}`);
  });
  if (!['float32', 'float64', 'int32', 'int64'].includes(dtype)) throw new Error(`input '${name}': dtype ${JSON.stringify(dtype)} is not supported; expected float32, float64, int32 or int64`);
  const dims: Dim[] = shape.map((d) => (d === null ? 'batch' : d));
  return layer({ kind: 'input', name, inputs: [], params: {}, info: '', lower: () => { throw new Error(`input '${name}' is not bound`); } }, dims, dtype);
}

export function dense(x: SymbolicTensor, units: number, options: DenseOptions = {}): SymbolicTensor {
  const where = `dense${options.name ? ` '${options.name}'` : ''}`;
  checkTensor(x, where);
  checkFloat(x, where);
  const name = checkName(options.name, where);
  if (!Number.isInteger(units) || units <= 0) throw new Error(`${where}: units must be a positive integer, got ${JSON.stringify(units)}`);
  const inFeatures = x.shape[x.shape.length - 1];
  if (x.shape.length < 2 || typeof inFeatures !== 'number') {
    throw new Error(`${where}: expected an input of rank 2 or more with a fixed last dimension, like [batch, features]; got ${describe(x)}`);
  }
  const act = options.activation ?? 'linear';
  if (!isActivationName(act)) throw new Error(`${where}: unknown activation ${JSON.stringify(act)}; expected one of ${activationNames.join(', ')}`);
  const useBias = options.useBias ?? true;
  const kernel = { shape: [inFeatures, units], initializer: validateInitializer(options.kernelInitializer ?? 'glorot_uniform', `${where} kernel`) };
  const bias = { shape: [units], initializer: validateInitializer(options.biasInitializer ?? 'zeros', `${where} bias`) };
  return layer(
    {
      kind: 'dense',
      name,
      inputs: [x],
      params: useBias ? { kernel, bias } : { kernel },
      info: `units ${units}${act === 'linear' ? '' : `, ${act}`}`,
      lower: ({ b }, [v], p) => {
        // One Gemm (bias included) on [batch, features]: its gradients are Gemms too, with no Transpose.
        if (v!.shape.length === 2) return activations[act](b, b.op('Gemm', useBias ? [v!, p.kernel!, p.bias!] : [v!, p.kernel!]));
        const z = b.op('MatMul', [v!, p.kernel!]);
        return activations[act](b, useBias ? b.op('Add', [z, p.bias!]) : z);
      },
    },
    [...x.shape.slice(0, -1), units],
    x.dtype,
  );
}

function sameDType(xs: readonly SymbolicTensor[], where: string): DType {
  const dtype = xs[0]!.dtype;
  const other = xs.find((x) => x.dtype !== dtype);
  if (other) throw new Error(`${where}: inputs mix ${dtype} and ${other.dtype} (${describe(other)})`);
  return dtype;
}

export function concatenate(xs: readonly SymbolicTensor[], options: ConcatenateOptions = {}): SymbolicTensor {
  const where = `concatenate${options.name ? ` '${options.name}'` : ''}`;
  const name = checkName(options.name, where);
  if (!Array.isArray(xs) || xs.length === 0) throw new Error(`${where}: expected a non-empty array of layer outputs`);
  xs.forEach((x) => checkTensor(x, where));
  const first = xs[0]!;
  const rank = first.shape.length;
  const axisOption = options.axis ?? -1;
  const axis = axisOption < 0 ? axisOption + rank : axisOption;
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank) throw new Error(`${where}: axis ${axisOption} is out of range for inputs of rank ${rank}`);
  for (const x of xs) {
    const fits = x.shape.length === rank && x.shape.every((d: Dim, i: number) => i === axis || d === first.shape[i]);
    if (!fits) {
      throw new Error(`${where}: cannot concatenate ${xs.map(describe).join(', ')} along axis ${axis}; all dimensions but the axis must match`);
    }
  }
  if (xs.some((x) => typeof x.shape[axis] !== 'number')) throw new Error(`${where}: cannot concatenate along the batch axis ${axis}`);
  const shape = [...first.shape];
  shape[axis] = xs.reduce((sum, x) => sum + (x.shape[axis] as number), 0);
  return layer(
    { kind: 'concatenate', name, inputs: xs, params: {}, info: `axis ${axis}`, lower: ({ b }, vs) => (vs.length === 1 ? vs[0]! : b.op('Concat', vs, { axis })) },
    shape,
    sameDType(xs, where),
  );
}

function broadcast(a: SymbolicTensor, c: SymbolicTensor, where: string): Shape {
  const rank = Math.max(a.shape.length, c.shape.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a.shape[a.shape.length - rank + i] ?? 1;
    const dc = c.shape[c.shape.length - rank + i] ?? 1;
    if (da !== dc && da !== 1 && dc !== 1) throw new Error(`${where}: shapes of ${describe(a)} and ${describe(c)} do not match or broadcast`);
    out.push(da === 1 ? dc : da);
  }
  return out;
}

function elementwise(kind: 'add' | 'subtract' | 'multiply', op: 'Add' | 'Sub' | 'Mul') {
  return (a: SymbolicTensor, c: SymbolicTensor, options: NameOption = {}): SymbolicTensor => {
    const where = `${kind}${options.name ? ` '${options.name}'` : ''}`;
    checkTensor(a, where);
    checkTensor(c, where);
    const name = checkName(options.name, where);
    const shape = broadcast(a, c, where);
    const layout = a.shape.length === c.shape.length ? 'preserve' : 'logical';
    return layer({ kind, name, inputs: [a, c], params: {}, info: '', layout, lower: ({ b }, [va, vc]) => b.op(op, [va!, vc!]) }, shape, sameDType([a, c], where));
  };
}

export const add = elementwise('add', 'Add');
export const subtract = elementwise('subtract', 'Sub');
export const multiply = elementwise('multiply', 'Mul');

export function activation(x: SymbolicTensor, name: ActivationName, options: NameOption = {}): SymbolicTensor {
  const where = `activation${options.name ? ` '${options.name}'` : ''}`;
  checkTensor(x, where);
  if (!isActivationName(name)) throw new Error(`${where}: unknown activation ${JSON.stringify(name)}; expected one of ${activationNames.join(', ')}`);
  return layer(
    {
      kind: name,
      name: checkName(options.name, where),
      inputs: [x],
      params: {},
      info: '',
      // softmax and log_softmax work along the last logical axis; the others are element-wise.
      layout: name === 'softmax' || name === 'log_softmax' ? 'logical' : 'preserve',
      lower: ({ b }, [v]) => activations[name](b, v!),
    },
    x.shape,
    x.dtype,
  );
}

export function dropout(x: SymbolicTensor, rate: number, options: DropoutOptions = {}): SymbolicTensor {
  const where = `dropout${options.name ? ` '${options.name}'` : ''}`;
  checkTensor(x, where);
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new Error(`${where}: rate must be in [0, 1), got ${JSON.stringify(rate)}`);
  return layer(
    {
      kind: 'dropout',
      name: checkName(options.name, where),
      inputs: [x],
      params: {},
      info: `rate ${rate}`,
      layout: 'preserve',
      lower: ({ b, training }, [v]) => {
        if (!training || rate === 0) return v!;
        const [y] = b.opMulti('Dropout', [v!, b.constant(rate, v!.dtype), b.constant(1, 'bool')], {}, 2);
        return y!;
      },
    },
    x.shape,
    x.dtype,
  );
}


/** The layer functions as methods of every layer output (`x.conv(32, …).maxPool(…)`). */
Object.assign(SymbolicTensor.prototype, {
  dense(this: SymbolicTensor, units: number, options?: DenseOptions) {
    return dense(this, units, options);
  },
  concatenate(this: SymbolicTensor, ...others: (SymbolicTensor | ConcatenateOptions)[]) {
    const tensors = others.filter((o): o is SymbolicTensor => o instanceof SymbolicTensor);
    const options = others.find((o): o is ConcatenateOptions => !(o instanceof SymbolicTensor));
    return concatenate([this, ...tensors], options);
  },
  add(this: SymbolicTensor, other: SymbolicTensor, options?: NameOption) {
    return add(this, other, options);
  },
  subtract(this: SymbolicTensor, other: SymbolicTensor, options?: NameOption) {
    return subtract(this, other, options);
  },
  multiply(this: SymbolicTensor, other: SymbolicTensor, options?: NameOption) {
    return multiply(this, other, options);
  },
  activation(this: SymbolicTensor, name: ActivationName, options?: NameOption) {
    return activation(this, name, options);
  },
  dropout(this: SymbolicTensor, rate: number, options?: DropoutOptions) {
    return dropout(this, rate, options);
  },
  conv(this: SymbolicTensor, filters: number, options: Parameters<typeof conv>[2]) {
    return conv(this, filters, options);
  },
  maxPool(this: SymbolicTensor, options: Parameters<typeof maxPool>[1]) {
    return maxPool(this, options);
  },
  avgPool(this: SymbolicTensor, options: Parameters<typeof avgPool>[1]) {
    return avgPool(this, options);
  },
  globalAvgPool(this: SymbolicTensor, options?: Parameters<typeof globalAvgPool>[1]) {
    return globalAvgPool(this, options);
  },
  globalMaxPool(this: SymbolicTensor, options?: Parameters<typeof globalMaxPool>[1]) {
    return globalMaxPool(this, options);
  },
  flatten(this: SymbolicTensor, options?: NameOption) {
    return flatten(this, options);
  },
  reshape(this: SymbolicTensor, shape: readonly number[], options?: NameOption) {
    return reshape(this, shape, options);
  },
  batchNorm(this: SymbolicTensor, options?: Parameters<typeof batchNorm>[1]) {
    return batchNorm(this, options);
  },
  layerNorm(this: SymbolicTensor, options?: Parameters<typeof layerNorm>[1]) {
    return layerNorm(this, options);
  },
  embedding(this: SymbolicTensor, vocabSize: number, embeddingSize: number, options?: Parameters<typeof embedding>[3]) {
    return embedding(this, vocabSize, embeddingSize, options);
  },
} satisfies Omit<SymbolicTensor, 'layer' | 'shape' | 'dtype'>);
