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
  visitNested(name, dims, values, value, []);
  return { dims, values };
}

/** Appends the numbers of `item`, found at `path`, to `values`; the messages are built only when one is thrown. */
function visitNested(name: string, dims: readonly number[], values: number[], item: unknown, path: readonly number[]): void {
  const depth = path.length;
  if (depth < dims.length) {
    if (Array.isArray(item) && item.length === dims[depth]) {
      const innermost = depth === dims.length - 1;
      // holes are skipped, as Array.prototype.forEach skips them
      for (let i = 0; i < item.length; i++) {
        if (!(i in item)) continue;
        const child: unknown = item[i];
        if (innermost && typeof child === 'number') values.push(child);
        else visitNested(name, dims, values, child, [...path, i]);
      }
      return;
    }
    if (Array.isArray(item) || typeof item === 'number') {
      const actual = Array.isArray(item) ? `has ${item.length} value${item.length === 1 ? '' : 's'}` : 'is a number';
      throw new RuntimeInputError(`input '${name}' is ragged: row ${position(path)} ${actual}, ${firstRow(path)} has ${dims[depth]}`);
    }
  } else if (typeof item === 'number') {
    values.push(item);
    return;
  } else if (Array.isArray(item)) {
    throw new RuntimeInputError(
      `input '${name}' is ragged: row ${position(path)} has ${item.length} value${item.length === 1 ? '' : 's'}, ${firstRow(path)} is a number`,
    );
  }
  const where = depth === 0 ? '' : ` at [${path.join(', ')}]`;
  throw new RuntimeInputError(`input '${name}': value${where} is ${describeValue(item)}, expected a number`);
}

/** The row a ragged one is compared with: the first at the same depth. */
const firstRow = (path: readonly number[]) => `row ${position(path.map(() => 0))}`;

/** Rebuilds nested arrays from flat row-major values. */
export function nest(values: ArrayLike<number>, dims: readonly number[]): NestedNumbers {
  let offset = 0;
  const build = (depth: number): NestedNumbers => {
    if (depth === dims.length) return values[offset++] as number;
    return Array.from({ length: dims[depth] ?? 0 }, () => build(depth + 1));
  };
  return build(0);
}
