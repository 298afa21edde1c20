import { formatShape, type DType, type Dim, type Shape } from '../ir/types.js';
import { activationNames, activations, isActivationName, type ActivationName } from './activations.js';
import { validateInitializer, type InitializerSpec } from './initializers.js';
import { layer, SymbolicTensor } from './symbolic.js';

export interface InputOptions {
  /** Dimensions, `null` for the batch dimension, e.g. `[null, 1]`. */
  readonly shape: readonly (number | null)[];
  readonly dtype?: 'float32' | 'float64';
}

export interface DenseOptions {
  readonly activation?: ActivationName;
  readonly name?: string;
  readonly kernelInitializer?: InitializerSpec;
  readonly biasInitializer?: InitializerSpec;
  readonly useBias?: boolean;
}

export interface ConcatenateOptions {
  readonly axis?: number;
  readonly name?: string;
}

export interface DropoutOptions {
  readonly name?: string;
}

const describe = (t: SymbolicTensor): string => `${t.layer.name ?? t.layer.kind} ${formatShape(t.shape)}`;

function checkTensor(t: unknown, where: string): SymbolicTensor {
  if (!(t instanceof SymbolicTensor)) throw new Error(`${where}: expected a layer output (from input(), dense(), …), got ${typeof t}`);
  return t;
}

function checkName(name: unknown, where: string): string | undefined {
  if (name === undefined) return undefined;
  if (typeof name !== 'string' || !/^[A-Za-z_][\w.-]*$/.test(name)) {
    throw new Error(`${where}: invalid name ${JSON.stringify(name)}; expected letters, digits, '_', '.', '-', not starting with a digit`);
  }
  return name;
}

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
  if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`input '${name}': dtype ${JSON.stringify(dtype)} is not supported; expected float32 or float64`);
  const dims: Dim[] = shape.map((d) => (d === null ? 'batch' : d));
  return layer({ kind: 'input', name, inputs: [], params: {}, info: '', lower: () => { throw new Error(`input '${name}' is not bound`); } }, dims, dtype);
}

export function dense(x: SymbolicTensor, units: number, options: DenseOptions = {}): SymbolicTensor {
  const where = `dense${options.name ? ` '${options.name}'` : ''}`;
  checkTensor(x, where);
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
  return (a: SymbolicTensor, c: SymbolicTensor, options: { name?: string } = {}): SymbolicTensor => {
    const where = `${kind}${options.name ? ` '${options.name}'` : ''}`;
    checkTensor(a, where);
    checkTensor(c, where);
    const name = checkName(options.name, where);
    const shape = broadcast(a, c, where);
    return layer({ kind, name, inputs: [a, c], params: {}, info: '', lower: ({ b }, [va, vc]) => b.op(op, [va!, vc!]) }, shape, sameDType([a, c], where));
  };
}

export const add = elementwise('add', 'Add');
export const subtract = elementwise('subtract', 'Sub');
export const multiply = elementwise('multiply', 'Mul');

export function activation(x: SymbolicTensor, name: ActivationName, options: { name?: string } = {}): SymbolicTensor {
  const where = `activation${options.name ? ` '${options.name}'` : ''}`;
  checkTensor(x, where);
  if (!isActivationName(name)) throw new Error(`${where}: unknown activation ${JSON.stringify(name)}; expected one of ${activationNames.join(', ')}`);
  return layer(
    { kind: name, name: checkName(options.name, where), inputs: [x], params: {}, info: '', lower: ({ b }, [v]) => activations[name](b, v!) },
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

