import { RuntimeInputError, type Model, type NestedNumbers } from '@onnxpipe/runtime';
import { CliError } from '../errors.js';
import { formatShape } from '../shape.js';
import type { JsonlRow } from './jsonl.js';

/** Rows per onnxruntime run. */
export const CHUNK_ROWS = 256;

/** Refuses, before reading rows, a model whose inputs or outputs do not split into rows (a scalar, say). */
function checkRowsFit(model: Model, label: string): void {
  const unsplit = [...model.inputs.map((i) => ['input', i] as const), ...model.outputs.map((o) => ['output', o] as const)].find(
    ([, info]) => info.shape?.length === 0,
  );
  if (unsplit) {
    const [kind, info] = unsplit;
    throw new CliError(
      `${label}: rows need every input and output to have a batch dimension first, and ${kind} '${info.name}' has shape ${formatShape(info.shape)}; ` +
        'give one example with --input or whole tensors with --json',
    );
  }
}

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
  checkRowsFit(model, label);
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
