import { nest, type NestedNumbers, type TensorInfo } from '@onnxpipe/runtime';
import { CliError } from '../errors.js';
import { elementCount, formatShape } from '../shape.js';

const expected = (infos: readonly TensorInfo[]) => `the model expects inputs: ${infos.map((i) => i.name).join(', ')}`;

function parseNumber(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || (Number.isNaN(value) && text.trim() !== 'NaN')) {
    throw new CliError(`--input ${name}: '${text}' is not a number`);
  }
  return value;
}

/**
 * One example from `--input name=v1,v2,…` flags: each input's values, shaped like the input without its
 * batch dimension when that shape is fixed (a plain number for a width-1 or rank-1 input).
 */
export function parseInputFlags(flags: readonly string[], infos: readonly TensorInfo[]): Record<string, NestedNumbers> {
  const row: Record<string, NestedNumbers> = {};
  for (const flag of flags) {
    const match = /^([^=]+)=(.*)$/s.exec(flag);
    if (!match) throw new CliError(`--input '${flag}' must look like name=value or name=v1,v2,…`);
    const [, name, text] = match as unknown as [string, string, string];
    const info = infos.find((i) => i.name === name);
    if (!info) throw new CliError(`unknown input '${name}'; ${expected(infos)}`);
    if (Object.hasOwn(row, name)) throw new CliError(`input '${name}' is given twice; --input takes one row, use --file for several`);
    const values = text.split(',').map((v) => parseNumber(name, v));
    const example = info.shape?.slice(1);
    if (example && example.every((d): d is number => typeof d === 'number')) {
      const count = elementCount(example);
      if (values.length !== count) {
        throw new CliError(
          `input '${name}' takes ${count} value${count === 1 ? '' : 's'} per row (shape ${formatShape(info.shape)}), got ${values.length}`,
        );
      }
      row[name] = example.length === 1 && count === 1 ? (values[0] as number) : nest(values, example);
    } else {
      row[name] = values.length === 1 ? (values[0] as number) : values;
    }
  }
  const missing = infos.filter((i) => !Object.hasOwn(row, i.name));
  if (missing.length > 0) {
    throw new CliError(`missing input ${missing.map((i) => `'${i.name}'`).join(', ')}; ${expected(infos)} (give --input ${missing[0]!.name}=…)`);
  }
  return row;
}
