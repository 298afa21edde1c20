import type { Argv, CommandModule } from 'yargs';
import type { CliIO } from '../io.js';
import { formatSummary, summarizeModel } from '../model-summary.js';

interface InspectArgs {
  model: string;
  json: boolean;
}

export const inspectCommand = (io: CliIO): CommandModule<object, InspectArgs> => ({
  command: 'inspect <model>',
  describe: 'Show a model’s inputs, outputs, opset, IR version, producer, parameter and node counts',
  builder: (y: Argv) =>
    y
      .positional('model', { type: 'string', describe: 'Path to an .onnx file', demandOption: true })
      .option('json', { type: 'boolean', default: false, describe: 'Print JSON instead of text' })
      .example('$0 inspect xor.onnx', 'Summary as text')
      .example('$0 inspect xor.onnx --json', 'Summary as JSON'),
  handler: async (args) => {
    const summary = await summarizeModel(args.model);
    io.stdout(`${args.json ? JSON.stringify(summary, null, 2) : formatSummary(args.model, summary)}\n`);
  },
});
