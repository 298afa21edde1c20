import type { TensorInfo } from '@onnxpipe/runtime';
import { PLATFORM, tritonDatatype } from '../dtypes.js';
import { CliError } from '../errors.js';

export interface TritonConfigOptions {
  name: string;
  /** 0 turns batching off: dims are then the full shapes. */
  maxBatchSize: number;
}

const hasBatchDim = (info: TensorInfo) => info.shape !== null && info.shape.length > 0 && typeof info.shape[0] === 'string';

/** True when every input and output starts with a symbolic (batch) dimension, so Triton may batch the model. */
export const batchable = (inputs: readonly TensorInfo[], outputs: readonly TensorInfo[]) =>
  [...inputs, ...outputs].every(hasBatchDim);

function tensorBlock(info: TensorInfo, kind: string, maxBatchSize: number): string {
  if (info.shape === null) throw new CliError(`${kind} '${info.name}' has no declared shape; Triton needs its rank`);
  if (maxBatchSize > 0 && !hasBatchDim(info)) {
    throw new CliError(
      `${kind} '${info.name}' has shape [${info.shape.join(', ')}] without a batch dimension first; use --max-batch-size 0`,
    );
  }
  const dims = (maxBatchSize > 0 ? info.shape.slice(1) : info.shape).map((d) => (typeof d === 'number' ? d : -1));
  // Triton needs dims: for a scalar (or [batch] with batching) its onnxruntime backend writes [ 1 ] and, when
  // batching, an empty reshape; Triton refuses an empty reshape without batching.
  const scalar = dims.length === 0;
  return [
    '  {',
    `    name: ${JSON.stringify(info.name)}`,
    `    data_type: ${tritonDatatype(info.dtype)}`,
    `    dims: [ ${scalar ? 1 : dims.join(', ')} ]`,
    ...(scalar && maxBatchSize > 0 ? ['    reshape { shape: [ ] }'] : []),
    '  }',
  ].join('\n');
}

/** A Triton `config.pbtxt` for the onnxruntime backend; dims leave out the batch dimension when batching. */
export function tritonConfig(inputs: readonly TensorInfo[], outputs: readonly TensorInfo[], options: TritonConfigOptions): string {
  const { name, maxBatchSize } = options;
  const block = (field: string, infos: readonly TensorInfo[], kind: string) =>
    `${field} [\n${infos.map((i) => tensorBlock(i, kind, maxBatchSize)).join(',\n')}\n]`;
  return [
    `name: ${JSON.stringify(name)}`,
    `platform: ${JSON.stringify(PLATFORM)}`,
    `max_batch_size: ${maxBatchSize}`,
    block('input', inputs, 'input'),
    block('output', outputs, 'output'),
    ...(maxBatchSize > 0 ? ['dynamic_batching { }'] : []),
    '',
  ].join('\n');
}
