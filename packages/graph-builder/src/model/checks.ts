import { formatShape } from '../ir/types.js';
import { SymbolicTensor } from './symbolic.js';

/** What error messages call a layer: `conv 'c1'`, or its kind. */
export const where = (kind: string, name: string | undefined): string => `${kind}${name ? ` '${name}'` : ''}`;

export const describe = (t: SymbolicTensor): string => `${t.layer.name ?? t.layer.kind} ${formatShape(t.shape)}`;

export function checkTensor(t: unknown, at: string): SymbolicTensor {
  if (!(t instanceof SymbolicTensor)) throw new Error(`${at}: expected a layer output (from input(), dense(), …), got ${typeof t}`);
  return t;
}

export function checkName(name: unknown, at: string): string | undefined {
  if (name === undefined) return undefined;
  if (typeof name !== 'string' || !/^[A-Za-z_][\w.-]*$/.test(name)) {
    throw new Error(`${at}: invalid name ${JSON.stringify(name)}; expected letters, digits, '_', '.', '-', not starting with a digit`);
  }
  return name;
}

export function checkPositiveInteger(value: unknown, what: string, at: string): number {
  if (!Number.isInteger(value) || (value as number) <= 0) throw new Error(`${at}: ${what} must be a positive integer, got ${JSON.stringify(value)}`);
  return value as number;
}

/** A float layer input (not the int ids an embedding takes). */
export function checkFloat(t: SymbolicTensor, at: string): void {
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new Error(`${at}: expected a float32 or float64 input, got ${t.dtype} (${describe(t)}); integer inputs go through embedding()`);
}
