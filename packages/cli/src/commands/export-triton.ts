import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { checkModelName, defaultModelName } from '../model-name.js';
import { exportTriton } from '../triton/repository.js';

interface ExportTritonArgs {
  model: string;
  out: string;
  name?: string;
  'max-batch-size'?: number;
  force: boolean;
}

export const exportTritonCommand = (io: CliIO): CommandModule<object, ExportTritonArgs> => ({
  command: 'export-triton <model>',
  describe: 'Write a Triton / KServe model repository: <name>/config.pbtxt and <name>/1/model.onnx',
  builder: (y: Argv) =>
    y
      .positional('model', { type: 'string', describe: 'Path to an .onnx file', demandOption: true })
      .option('out', { type: 'string', demandOption: true, requiresArg: true, describe: 'Model repository directory' })
      .option('name', { type: 'string', requiresArg: true, describe: 'Model name (default: the file name without .onnx)' })
      .option('max-batch-size', {
        type: 'number',
        requiresArg: true,
        describe: 'Triton max_batch_size; 0 turns batching off (default: 64 if every input and output has a batch dimension, else 0)',
      })
      .option('force', { type: 'boolean', default: false, describe: 'Replace an existing model directory' })
      .check((args) => {
        const size = args['max-batch-size'];
        if (size !== undefined && !(Number.isInteger(size) && size >= 0)) {
          throw new UsageError(`--max-batch-size must be a non-negative integer, got ${String(size)}`);
        }
        return true;
      })
      .example('$0 export-triton xor.onnx --out repo/', 'Writes repo/xor/config.pbtxt and repo/xor/1/model.onnx'),
  handler: async (args) => {
    const name = checkModelName(args.name ?? defaultModelName(args.model));
    const { dir, maxBatchSize } = await exportTriton(args.model, {
      out: args.out,
      name,
      force: args.force,
      ...(args['max-batch-size'] === undefined ? {} : { maxBatchSize: args['max-batch-size'] }),
    });
    io.stdout(`wrote ${dir}/config.pbtxt (max_batch_size ${maxBatchSize}) and ${dir}/1/model.onnx\n`);
  },
});
