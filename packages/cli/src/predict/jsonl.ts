import { CliError } from '../errors.js';

export interface JsonlRow {
  /** 1-based line number in the file. */
  line: number;
  row: Record<string, unknown>;
}

/** Parses one JSON object per line (blank lines skipped); errors name the file and line. */
export function parseJsonl(text: string, label: string): JsonlRow[] {
  const rows: JsonlRow[] = [];
  text.split('\n').forEach((content, i) => {
    if (content.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (error) {
      throw new CliError(`${label} line ${i + 1}: invalid JSON (${(error as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new CliError(`${label} line ${i + 1}: expected a JSON object of input values like {"x1": [0]}, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
    }
    rows.push({ line: i + 1, row: value as Record<string, unknown> });
  });
  if (rows.length === 0) throw new CliError(`${label} has no rows`);
  return rows;
}
