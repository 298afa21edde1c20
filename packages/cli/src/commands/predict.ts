import { readFile } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import { loadModel, type Model, type NestedNumbers } from '@onnxpipe/runtime';
import { CliError, UsageError } from '../errors.js';
import { readProcessStdin, type CliIO } from '../io.js';
import { exampleOutputs, parseInputFlags } from '../predict/input-flags.js';
import { parseJsonl } from '../predict/jsonl.js';
import { predictRows } from '../predict/run-rows.js';

interface PredictArgs {
  model: string;
  input?: string[];
  json?: string;
  file?: string;
}

const line = (value: unknown) => `${JSON.stringify(value)}\n`;

/**
 * Longest `--json` accepted inline. onnxruntime-node crashes (SIGSEGV) when a process's command line is
 * around 29 KB or longer, so larger data must come from a file or stdin.
 */
export const MAX_INLINE_JSON = 16 * 1024;

/** Where `--json` takes its text from: `-` is stdin, `@path` a file, anything else the JSON itself. */
async function jsonSource(arg: string, io: CliIO): Promise<{ text: string; label: string }> {
  if (arg === '-') return { text: await (io.readStdin ?? readProcessStdin)(), label: '--json from stdin' };
  if (!arg.startsWith('@')) return { text: arg, label: '--json' };
  const path = arg.slice(1);
  try {
    return { text: await readFile(path, 'utf8'), label: `--json file '${path}'` };
  } catch (error) {
    throw new CliError(`cannot read --json file '${path}': ${(error as Error).message}`);
  }
}

async function predictJson(model: Model, { text, label }: { text: string; label: string }): Promise<Record<string, NestedNumbers>> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${label} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(`${label} must be an object of input name to nested arrays, like {"x1": [[0]], "x2": [[1]]}`);
  }
  const outputs = await model.predict(value as Record<string, NestedNumbers>);
  return Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, t.toArray()]));
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read --file '${path}': ${(error as Error).message}`);
  }
}

export const predictCommand = (io: CliIO): CommandModule<object, PredictArgs> => ({
  command: 'predict <model>',
  describe: 'Run a model on one row (--input), a batch (--json) or a JSONL file of rows (--file); prints JSON',
  builder: (y: Argv) =>
    y
      .positional('model', { type: 'string', describe: 'Path to an .onnx file', demandOption: true })
      .option('input', {
        type: 'string',
        array: true,
        requiresArg: true,
        describe: 'One input of a single row: name=value or name=v1,v2,… (repeat for each input)',
      })
      .option('json', {
        type: 'string',
        requiresArg: true,
        describe: 'All inputs as JSON, whole tensors (batch dimension included); @file reads a file, - reads stdin',
      })
      .option('file', { type: 'string', requiresArg: true, describe: 'JSONL file, one row per line: {"x1": [0], "x2": [1]}' })
      .conflicts('input', ['json', 'file'])
      .conflicts('json', 'file')
      .check((args) => {
        if (args.input === undefined && args.json === undefined && args.file === undefined) {
          throw new UsageError('give the inputs with --input, --json or --file');
        }
        if (args.json !== undefined && args.json.length > MAX_INLINE_JSON) {
          throw new UsageError(
            `--json is ${args.json.length} characters, over the ${MAX_INLINE_JSON} a command line can safely carry; ` +
              'put the JSON in a file and pass --json @file, or pipe it with --json -',
          );
        }
        return true;
      })
      .example('$0 predict xor.onnx --input x1=0 --input x2=1', 'One row; prints {"dense_1":[0.98]}')
      .example('$0 predict xor.onnx --json \'{"x1":[[0],[1]],"x2":[[1],[1]]}\'', 'A batch; prints {"dense_1":[[0.98],[0.03]]}')
      .example('$0 predict xor.onnx --json @batch.json', 'A batch from a file (or --json - for stdin)')
      .example('$0 predict xor.onnx --file rows.jsonl', 'One JSON line out per line in'),
  handler: async (args) => {
    const model = await loadModel(args.model);
    try {
      if (args.input !== undefined) {
        const { inputs, oneExample } = parseInputFlags(args.input, model.inputs);
        io.stdout(line(exampleOutputs(await model.predict(inputs), model.outputs, oneExample)));
      } else if (args.json !== undefined) {
        io.stdout(line(await predictJson(model, await jsonSource(args.json, io))));
      } else if (args.file !== undefined) {
        const rows = parseJsonl(await readText(args.file), args.file);
        await predictRows(model, rows, args.file, (outputs) => io.stdout(line(outputs)));
      }
    } finally {
      await model.close();
    }
  },
});
