import { env as onnxruntimeEnv } from 'onnxruntime-node';
import yargs from 'yargs';
import { DeviceError } from '@onnxpipe/trainer';
import { exportTritonCommand } from './commands/export-triton.js';
import { inspectCommand } from './commands/inspect.js';
import { predictCommand } from './commands/predict.js';
import { serveCommand } from './commands/serve.js';
import { trainCommand } from './commands/train.js';
import { UsageError } from './errors.js';
import { processIO, type CliIO } from './io.js';
import { closest } from './suggest.js';
import { VERSION } from './version.js';

const COMMANDS = ['inspect', 'predict', 'export-triton', 'serve', 'train'];

const helpCommand = (argv: readonly string[]) =>
  argv[0] !== undefined && COMMANDS.includes(argv[0]) ? `onnxpipe ${argv[0]} --help` : 'onnxpipe --help';

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();

/** The error for a first word that is no command, found before yargs, which would list every positional argument as unknown. */
function unknownCommand(argv: readonly string[]): UsageError | undefined {
  const word = argv.find((arg) => !arg.startsWith('-'));
  if (word === undefined || COMMANDS.includes(word)) return undefined;
  const guess = closest(word, COMMANDS);
  const hint = guess === undefined ? `the commands are ${COMMANDS.join(', ')}` : `did you mean '${guess}'?`;
  return new UsageError(`unknown command '${word}'; ${hint} (see 'onnxpipe --help')`);
}

/** Runs the onnxpipe command line on `argv` (without `node` and the script) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const verbose = argv.includes('--verbose');
  // onnxruntime logs on stderr what onnxpipe reports in its own error (a missing CUDA provider),
  // and warnings a command line user can do nothing about; --verbose shows them. It reads the
  // level when it creates its first session.
  onnxruntimeEnv.logLevel = verbose ? 'warning' : 'fatal';
  const parser = yargs()
    .scriptName('onnxpipe')
    .locale('en')
    .usage('$0 <command> [options]')
    .command(inspectCommand(io))
    .command(predictCommand(io))
    .command(exportTritonCommand(io))
    .command(serveCommand(io))
    .command(trainCommand(io))
    .option('verbose', { type: 'boolean', global: true, describe: 'Print stack traces with errors' })
    .demandCommand(1, 'no command given')
    .strict()
    .help()
    .alias('help', 'h')
    .version(VERSION)
    .wrap(100)
    .exitProcess(false)
    .fail((message: string | null, error: Error | undefined) => {
      // yargs reports its own parsing errors as YError; errors thrown by handlers pass through unchanged.
      if (error && error.name !== 'YError' && !(error instanceof UsageError)) throw error;
      throw new UsageError(`${message ?? error?.message} (see '${helpCommand(argv)}')`);
    });
  try {
    const unknown = unknownCommand(argv);
    if (unknown) throw unknown;
    let output = '';
    await parser.parseAsync([...argv], {}, (_error, _args, text) => {
      output = text;
    });
    if (output) io.stdout(`${output}\n`);
    return 0;
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    const hint = err instanceof DeviceError && !verbose ? " (--verbose shows onnxruntime's log)" : '';
    io.stderr(`onnxpipe: ${oneLine(err.message)}${hint}\n`);
    if (verbose && err.stack) io.stderr(`${err.stack}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}
