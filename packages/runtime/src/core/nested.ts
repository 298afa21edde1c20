import { RuntimeInputError } from './errors.js';
import type { NestedNumbers } from './types.js';

/** Describes a value that should have been a number, for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `a string (${JSON.stringify(value)})`;
  if (typeof value === 'boolean' || typeof value === 'bigint') return `a ${typeof value} (${String(value)})`;
  return `a ${typeof value === 'object' ? 'non-array object' : typeof value}`;
}

const position = (path: readonly number[]) => (path.length === 1 ? String(path[0]) : `[${path.join(', ')}]`);

/** Shape and flat row-major values of nested number arrays; throws a `RuntimeInputError` naming `name` if ragged or non-numeric. */
export function flattenNested(name: string, value: unknown): { dims: number[]; values: number[] } {
  const dims: number[] = [];
  for (let probe = value; Array.isArray(probe); probe = probe[0]) dims.push(probe.length);
  const values: number[] = [];
  const visit = (item: unknown, path: number[]): void => {
    const depth = path.length;
    const reference = `row ${position(path.map(() => 0))}`;
    if (depth < dims.length) {
      if (Array.isArray(item) && item.length === dims[depth]) {
        item.forEach((child, i) => visit(child, [...path, i]));
        return;
      }
      if (Array.isArray(item) || typeof item === 'number') {
        const actual = Array.isArray(item) ? `has ${item.length} value${item.length === 1 ? '' : 's'}` : 'is a number';
        throw new RuntimeInputError(`input '${name}' is ragged: row ${position(path)} ${actual}, ${reference} has ${dims[depth]}`);
      }
    } else if (typeof item === 'number') {
      values.push(item);
      return;
    } else if (Array.isArray(item)) {
      throw new RuntimeInputError(
        `input '${name}' is ragged: row ${position(path)} has ${item.length} value${item.length === 1 ? '' : 's'}, ${reference} is a number`,
      );
    }
    const where = depth === 0 ? '' : ` at [${path.join(', ')}]`;
    throw new RuntimeInputError(`input '${name}': value${where} is ${describeValue(item)}, expected a number`);
  };
  visit(value, []);
  return { dims, values };
}

/** Rebuilds nested arrays from flat row-major values. */
export function nest(values: ArrayLike<number>, dims: readonly number[]): NestedNumbers {
  let offset = 0;
  const build = (depth: number): NestedNumbers => {
    if (depth === dims.length) return values[offset++] as number;
    return Array.from({ length: dims[depth] ?? 0 }, () => build(depth + 1));
  };
  return build(0);
}
