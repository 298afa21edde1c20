import { RuntimeInputError } from './errors.js';
import { checkInputNames, formatShape } from './inputs.js';
import type { NestedNumbers, OutputTensor, TensorInfo } from './types.js';

/**
 * Stacks rows (one example per input, without the batch dimension) into one nested array per input.
 * A plain number stands for a width-1 example of a rank-2 input.
 */
export function stackRows(infos: readonly TensorInfo[], rows: readonly Record<string, unknown>[]): Record<string, unknown[]> {
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new RuntimeInputError('predictBatch needs a non-empty array of rows');
  }
  rows.forEach((row, i) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw new RuntimeInputError(`row ${i} must be a record of input name to value`);
    }
    checkInputNames(infos, Object.keys(row), `row ${i}: `);
  });
  const stacked: Record<string, unknown[]> = {};
  for (const info of infos) {
    if (info.shape?.length === 0) {
      throw new RuntimeInputError(`input '${info.name}' has shape [] and no batch dimension; use predict()`);
    }
    const wrap = info.shape?.length === 2;
    stacked[info.name] = rows.map((row) => {
      const value = row[info.name];
      return wrap && typeof value === 'number' ? [value] : value;
    });
  }
  return stacked;
}

/** Splits each output along its first dimension into one plain value per row. */
export function splitRows(outputs: readonly OutputTensor[], count: number): Record<string, NestedNumbers>[] {
  const rows = Array.from({ length: count }, (): Record<string, NestedNumbers> => ({}));
  for (const output of outputs) {
    const values = output.toArray();
    if (!Array.isArray(values) || values.length !== count) {
      throw new Error(
        `output '${output.name}' has shape ${formatShape(output.dims)}, which does not split into ${count} rows; use predict()`,
      );
    }
    values.forEach((value: NestedNumbers, i) => {
      (rows[i] as Record<string, NestedNumbers>)[output.name] = value;
    });
  }
  return rows;
}
