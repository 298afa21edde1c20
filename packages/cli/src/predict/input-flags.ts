import { nest, type NestedNumbers, type OutputTensor, type TensorInfo } from '@onnxpipe/runtime';
import { CliError } from '../errors.js';
import { formatShape } from '../shape.js';
import { elementCount } from '@onnxpipe/graph-builder';

const expected = (infos: readonly TensorInfo[]) => `the model expects inputs: ${infos.map((i) => i.name).join(', ')}`;

function parseNumber(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || (Number.isNaN(value) && text.trim() !== 'NaN')) {
    throw new CliError(`--input ${name}: '${text}' is not a number`);
  }
  return value;
}

const isFixed = (dims: readonly (number | string)[]): dims is number[] => dims.every((d) => typeof d === 'number');

/**
 * How `--input` fills an input: one example of a batch (a symbolic first dimension, fixed ones after it),
 * or the whole of a fixed shape (a scalar included). Other shapes need --json.
 */
function layoutOf(info: TensorInfo): { batched: boolean; shape: number[] } {
  const shape = info.shape;
  if (shape !== null && isFixed(shape)) return { batched: false, shape };
  const example = shape?.slice(1);
  if (shape !== null && shape.length > 0 && example && isFixed(example)) return { batched: true, shape: example };
  throw new CliError(
    `input '${info.name}' has shape ${formatShape(shape)}, which --input cannot fill (it takes a batch dimension first and fixed ` +
      `dimensions after it, or a fixed shape); give every input with --json '{"${info.name}": …}', --json @file or --json - (stdin)`,
  );
}

export interface FlagInputs {
  /** Whole tensors for `model.predict`, a batch of one where the input has a batch dimension. */
  inputs: Record<string, NestedNumbers>;
  /** Whether the run is a batch of one example (then outputs lose their batch dimension when printed). */
  oneExample: boolean;
}

/**
 * Tensors from `--input name=v1,v2,…` flags: each input's values shaped like one row of the input inside a
 * batch of one, or like the whole input when its shape is fixed (one value for a scalar).
 */
export function parseInputFlags(flags: readonly string[], infos: readonly TensorInfo[]): FlagInputs {
  const inputs: Record<string, NestedNumbers> = {};
  let oneExample = false;
  for (const flag of flags) {
    const match = /^([^=]+)=(.*)$/s.exec(flag);
    if (!match) throw new CliError(`--input '${flag}' must look like name=value or name=v1,v2,…`);
    const [, name, text] = match as unknown as [string, string, string];
    const info = infos.find((i) => i.name === name);
    if (!info) throw new CliError(`unknown input '${name}'; ${expected(infos)}`);
    if (Object.hasOwn(inputs, name)) throw new CliError(`input '${name}' is given twice; --input takes one row, use --file for several`);
    const values = text.split(',').map((v) => parseNumber(name, v));
    const { batched, shape } = layoutOf(info);
    const count = elementCount(shape);
    if (values.length !== count) {
      const per = batched ? ' per row' : '';
      throw new CliError(`input '${name}' takes ${count} value${count === 1 ? '' : 's'}${per} (shape ${formatShape(info.shape)}), got ${values.length}`);
    }
    inputs[name] = batched ? [nest(values, shape)] : nest(values, shape);
    oneExample ||= batched;
  }
  const missing = infos.filter((i) => !Object.hasOwn(inputs, i.name));
  if (missing.length > 0) {
    throw new CliError(`missing input ${missing.map((i) => `'${i.name}'`).join(', ')}; ${expected(infos)} (give --input ${missing[0]!.name}=…)`);
  }
  return { inputs, oneExample };
}

/**
 * The outputs of a `--input` run as plain values: in a batch of one example, an output with a batch
 * dimension loses it (`[[0.98]]` prints as `[0.98]`); other outputs print whole.
 */
export function exampleOutputs(outputs: Record<string, OutputTensor>, infos: readonly TensorInfo[], oneExample: boolean): Record<string, NestedNumbers> {
  const printed: Record<string, NestedNumbers> = {};
  for (const info of infos) {
    const tensor = outputs[info.name]!;
    const value = tensor.toArray();
    const batched = oneExample && typeof info.shape?.[0] === 'string' && tensor.dims[0] === 1;
    printed[info.name] = batched ? (value as readonly NestedNumbers[])[0]! : value;
  }
  return printed;
}
