import { RuntimeInputError, type Model, type NestedNumbers } from '@onnxpipe/runtime';
import { CliError } from '../errors.js';
import type { JsonlRow } from './jsonl.js';

/** Rows per onnxruntime run. */
export const CHUNK_ROWS = 256;

/**
 * Predicts rows in chunks and hands each row's outputs to `emit`, in order. When a chunk is refused, its
 * rows run one by one so the error names the offending line.
 */
export async function predictRows(
  model: Model,
  rows: readonly JsonlRow[],
  label: string,
  emit: (outputs: Record<string, NestedNumbers>) => void,
): Promise<void> {
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const chunk = rows.slice(start, start + CHUNK_ROWS);
    let results: Record<string, NestedNumbers>[] | undefined;
    try {
      results = await model.predictBatch(chunk.map((r) => r.row as Record<string, NestedNumbers>));
    } catch (error) {
      if (!(error instanceof RuntimeInputError)) throw error;
    }
    if (results) {
      results.forEach(emit);
      continue;
    }
    for (const { line, row } of chunk) {
      try {
        (await model.predictBatch([row as Record<string, NestedNumbers>])).forEach(emit);
      } catch (error) {
        if (!(error instanceof RuntimeInputError)) throw error;
        throw new CliError(`${label} line ${line}: ${error.message.replace(/^row 0: /, '')}`);
      }
    }
  }
}
