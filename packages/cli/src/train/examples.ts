import { compile, elementCount, type ModelLike } from '@onnxpipe/graph-builder';
import { CliError } from '../errors.js';

/** One training example: each input's values and the target's, flat. */
export interface Example {
  inputs: Record<string, number[]>;
  target: number[];
}

/** The model's inputs with the number of values one example holds. */
export interface InputLayout {
  name: string;
  /** Shape without the batch dimension. */
  shape: number[];
  width: number;
}

/** Data files give one example per row, so every input needs a batch dimension first and fixed others. */
export function inputLayout(model: ModelLike): InputLayout[] {
  const compiled = compile(model);
  if (compiled.outputs.length !== 1) {
    throw new CliError(`--data has one target per row, but the model has ${compiled.outputs.length} outputs; export \`data\` from the definition instead`);
  }
  return compiled.inputs.map((input) => {
    const [batch, ...rest] = input.shape;
    if (typeof batch !== 'string' || !rest.every((d): d is number => typeof d === 'number')) {
      throw new CliError(`input '${input.name}' has shape [${input.shape.join(', ')}]; --data needs a batch dimension first and fixed ones after it`);
    }
    return { name: input.name, shape: rest, width: elementCount(rest) };
  });
}
