import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TensorInfo } from '@onnxpipe/runtime';
import { parsePbtxt, type PbMessage, type PbValue } from './pbtxt.js';
import { elementCount } from '@onnxpipe/graph-builder';

/** Triton's model_config.proto, vendored with its licence from triton-inference-server/common. */
const PROTO_DIR = fileURLToPath(new URL('./triton/', import.meta.url));

/** Triton's WILDCARD_DIM: a variable-size dimension. */
const WILDCARD = -1;

/** Triton's type name of a runtime dtype, written out independently of the exporter's table. */
const tritonType = (dtype: TensorInfo['dtype']) => `TYPE_${dtype.replace('float', 'fp').toUpperCase()}`;

/**
 * Parses `text` with `protoc --encode=inference.ModelConfig` against Triton's own schema, which refuses
 * unknown fields, unknown enum values and malformed text. Needs Debian's protobuf-compiler (`.ci/system-deps.sh`).
 */
export function parseWithProtoc(text: string): void {
  const run = spawnSync('protoc', [`--proto_path=${PROTO_DIR}`, '--encode=inference.ModelConfig', 'model_config.proto'], { input: text });
  if (run.error) throw new Error(`cannot run protoc (${run.error.message}); install Debian's protobuf-compiler: bash .ci/system-deps.sh`);
  if (run.status !== 0) throw new Error(`protoc refuses the config: ${String(run.stderr).trim()}`);
}

const list = (value: PbValue | undefined): PbValue[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const numbers = (value: PbValue | undefined): number[] => list(value).map(Number);

/** Triton's GetElementCount: -1 with a variable-size dimension, 0 for no dimensions, else the product. */
const tritonElementCount = (dims: readonly number[]) => (dims.includes(WILDCARD) ? WILDCARD : dims.length === 0 ? 0 : elementCount(dims));

/** Triton's ValidateIOShape (core/src/model_config_utils.cc) for one input or output. */
function checkShape(io: PbMessage, kind: string, maxBatchSize: number): void {
  if (typeof io.name !== 'string' || io.name === '') throw new Error(`model ${kind} must specify 'name'`);
  const what = `model ${kind} '${io.name}'`;
  if (io.data_type === undefined || io.data_type === 'TYPE_INVALID') throw new Error(`${what} must specify 'data_type'`);
  const dims = numbers(io.dims);
  if (dims.length === 0) throw new Error(`${what} must specify 'dims'`);
  const reshape = io.reshape as PbMessage | undefined;
  const reshaped = reshape === undefined ? undefined : numbers(reshape.shape);
  if (reshaped?.length === 0 && maxBatchSize === 0) {
    throw new Error(`${what} cannot have empty reshape for non-batching model as scalar tensors are not supported`);
  }
  for (const dim of [...dims, ...(reshaped ?? [])]) {
    if (dim < 1 && dim !== WILDCARD) throw new Error(`${what} dimension must be integer >= 1, or -1 to indicate a variable-size dimension`);
  }
  if (reshaped !== undefined) {
    const [from, to] = [tritonElementCount(dims), tritonElementCount(reshaped)];
    // An empty reshape (a scalar) goes with dims of one element.
    if (from !== to && (to !== 0 || from !== 1)) throw new Error(`${what} has different size for dims and reshape`);
  }
}

/** The onnxruntime backend's check of a config tensor against the model's (ValidateInputs/ValidateOutputs, CompareDimsSupported). */
function checkAgainstModel(io: PbMessage, kind: string, infos: readonly TensorInfo[], maxBatchSize: number): void {
  const info = infos.find((i) => i.name === io.name);
  if (!info) throw new Error(`unexpected ${kind} '${String(io.name)}', allowed ${kind}s are: ${infos.map((i) => i.name).join(', ')}`);
  const expected = tritonType(info.dtype);
  if (io.data_type !== expected) throw new Error(`configuration expects datatype ${String(io.data_type)} for ${kind} '${info.name}', model provides ${expected}`);
  const shape = (info.shape ?? []).map((d) => (typeof d === 'number' ? d : WILDCARD));
  const dims = io.reshape === undefined ? numbers(io.dims) : numbers((io.reshape as PbMessage).shape);
  if (shape.length === 0) {
    if (maxBatchSize === 0 && dims.some((d) => d !== 1)) throw new Error(`scalar tensor '${info.name}' should only provide 1 in the model configuration`);
    return;
  }
  if (maxBatchSize > 0 && shape[0] !== WILDCARD) throw new Error(`tensor '${info.name}': for the model to support batching the first dimension must be -1`);
  const full = maxBatchSize > 0 ? [WILDCARD, ...dims] : dims;
  if (full.length !== shape.length || shape.some((d, i) => d !== WILDCARD && d !== full[i])) {
    throw new Error(`tensor '${info.name}': the model expects shape [${shape.join(', ')}] but the configuration gives [${full.join(', ')}]`);
  }
}


/**
 * Checks a `config.pbtxt` as Triton would load it for an ONNX model: protoc parses it strictly against
 * Triton's schema, then Triton's rules for each input and output and, given the model's declared
 * tensors, the onnxruntime backend's comparison with the model. Throws with Triton's wording.
 */
export function validateTritonConfig(text: string, model?: { inputs: readonly TensorInfo[]; outputs: readonly TensorInfo[] }): PbMessage {
  parseWithProtoc(text);
  const config = parsePbtxt(text);
  const maxBatchSize = Number(config.max_batch_size ?? 0);
  if (maxBatchSize < 0) throw new Error(`max_batch_size must be >= 0, got ${maxBatchSize}`);
  if (config.platform !== 'onnxruntime_onnx' && config.backend !== 'onnxruntime') throw new Error(`not an onnxruntime model: platform ${String(config.platform)}`);
  const inputs = list(config.input) as PbMessage[];
  const outputs = list(config.output) as PbMessage[];
  if (outputs.length === 0) throw new Error('model must specify outputs');
  inputs.forEach((io) => checkShape(io, 'input', maxBatchSize));
  outputs.forEach((io) => checkShape(io, 'output', maxBatchSize));
  if (model) {
    inputs.forEach((io) => checkAgainstModel(io, 'input', model.inputs, maxBatchSize));
    outputs.forEach((io) => checkAgainstModel(io, 'output', model.outputs, maxBatchSize));
    const missing = model.inputs.filter((info) => !inputs.some((io) => io.name === info.name));
    if (missing.length > 0) throw new Error(`configuration lacks model input '${missing[0]!.name}'`);
  }
  return config;
}
