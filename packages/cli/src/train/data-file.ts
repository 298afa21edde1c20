import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { CliError } from '../errors.js';
import type { Example, InputLayout } from './examples.js';

const TARGET = 'target';

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read --data '${path}': ${(error as Error).message}`);
  }
}

/** Reads a CSV (header row) or JSONL training file into examples; errors name the file, line and column. */
export async function readDataFile(path: string, layout: readonly InputLayout[]): Promise<Example[]> {
  const ext = extname(path).toLowerCase();
  if (ext !== '.csv' && ext !== '.jsonl') throw new CliError(`--data '${path}' must be a .csv or .jsonl file`);
  const text = await readText(path);
  const examples = ext === '.csv' ? parseCsv(text, path, layout) : parseJsonl(text, path, layout);
  if (examples.length === 0) throw new CliError(`--data '${path}' has no examples`);
  return examples;
}

/** Columns of one input: `x1` for a width-1 input (or `x1_0`), `x1_0 … x1_{n-1}` otherwise. */
function inputColumns(header: readonly string[], input: InputLayout, path: string): number[] {
  if (input.width === 1 && header.includes(input.name)) return [header.indexOf(input.name)];
  return Array.from({ length: input.width }, (_, i) => {
    const column = header.indexOf(`${input.name}_${i}`);
    if (column < 0) {
      const wanted = input.width === 1 ? `'${input.name}'` : `'${input.name}_0' … '${input.name}_${input.width - 1}'`;
      throw new CliError(`${path}: no column for input '${input.name}' (${input.width} value${input.width === 1 ? '' : 's'} per row: ${wanted})`);
    }
    return column;
  });
}

function targetColumns(header: readonly string[], path: string): number[] {
  if (header.includes(TARGET)) return [header.indexOf(TARGET)];
  const columns: number[] = [];
  for (let i = 0; header.includes(`${TARGET}_${i}`); i++) columns.push(header.indexOf(`${TARGET}_${i}`));
  if (columns.length === 0) throw new CliError(`${path}: no '${TARGET}' column (or '${TARGET}_0', '${TARGET}_1', …)`);
  return columns;
}

interface CsvRecord {
  fields: string[];
  /** The 1-based line the record ends on. */
  line: number;
}

/** CSV records (RFC 4180: quoted fields may hold commas, quotes and line breaks), fields trimmed, blank lines skipped. */
function csvRecords(text: string, path: string): CsvRecord[] {
  try {
    const options = { info: true as const, relax_column_count: true, skip_empty_lines: true, trim: true, bom: true, record_delimiter: ['\r\n', '\n'] };
    const rows = parse(text, options) as unknown as { record: string[]; info: { lines: number } }[];
    return rows.map(({ record, info }) => ({ fields: record, line: info.lines }));
  } catch (error) {
    throw new CliError(`${path}: invalid CSV: ${(error as Error).message}`);
  }
}

function parseCsv(text: string, path: string, layout: readonly InputLayout[]): Example[] {
  const [headerRecord, ...records] = csvRecords(text, path);
  const header = headerRecord?.fields ?? [];
  const columns = layout.map((input) => [input.name, inputColumns(header, input, path)] as const);
  const target = targetColumns(header, path);
  const used = new Set([...columns.flatMap(([, c]) => c), ...target]);
  const extra = header.filter((_, i) => !used.has(i));
  if (extra.length > 0) throw new CliError(`${path}: unexpected column${extra.length > 1 ? 's' : ''} ${extra.map((c) => `'${c}'`).join(', ')}`);
  return records.map(({ fields, line }) => {
    const at = `${path} line ${line}`;
    if (fields.length !== header.length) throw new CliError(`${at}: ${fields.length} fields, the header has ${header.length}`);
    const number = (column: number) => {
      const value = Number(fields[column]);
      if (fields[column] === '' || Number.isNaN(value)) throw new CliError(`${at}, column '${header[column]}': '${fields[column]}' is not a number`);
      return value;
    };
    return {
      inputs: Object.fromEntries(columns.map(([name, cols]) => [name, cols.map(number)])),
      target: target.map(number),
    };
  });
}

function values(value: unknown, what: string, at: string, width?: number): number[] {
  const list = typeof value === 'number' ? [value] : value;
  if (!Array.isArray(list) || !list.every((v) => typeof v === 'number')) {
    throw new CliError(`${at}: ${what} must be a number or an array of numbers, got ${JSON.stringify(value)}`);
  }
  if (width !== undefined && list.length !== width) {
    throw new CliError(`${at}: ${what} has ${list.length} value${list.length === 1 ? '' : 's'}, the model takes ${width}`);
  }
  return list as number[];
}

function parseJsonl(text: string, path: string, layout: readonly InputLayout[]): Example[] {
  const known = new Set([...layout.map((i) => i.name), TARGET]);
  const examples: Example[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const at = `${path} line ${i + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new CliError(`${at}: invalid JSON (${(error as Error).message})`);
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new CliError(`${at}: expected an object like {"x1": [0], "target": [1]}`);
    const record = row as Record<string, unknown>;
    const unknown = Object.keys(record).filter((k) => !known.has(k));
    if (unknown.length > 0) throw new CliError(`${at}: unknown field '${unknown[0]}'; expected ${[...known].join(', ')}`);
    for (const name of known) if (!(name in record)) throw new CliError(`${at}: missing '${name}'`);
    examples.push({
      inputs: Object.fromEntries(layout.map((input) => [input.name, values(record[input.name], `input '${input.name}'`, at, input.width)])),
      target: values(record[TARGET], `'${TARGET}'`, at),
    });
  });
  return examples;
}
