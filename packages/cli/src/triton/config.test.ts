import { describe, expect, it } from 'vitest';
import type { TensorInfo } from '@onnxpipe/runtime';
import { validateTritonConfig } from '../testing/triton-config.js';
import { batchable, tritonConfig } from './config.js';

const x: TensorInfo = { name: 'x', dtype: 'float32', shape: ['batch', 3, 'len'] };
const ids: TensorInfo = { name: 'ids', dtype: 'int64', shape: ['batch'] };
const y: TensorInfo = { name: 'y', dtype: 'float64', shape: ['batch', 2] };
const half: TensorInfo = { name: 'h', dtype: 'float16', shape: ['batch', 4] };

/** The config for these tensors, checked as Triton would load it, then parsed. */
const checked = (inputs: TensorInfo[], outputs: TensorInfo[], maxBatchSize: number) =>
  validateTritonConfig(tritonConfig(inputs, outputs, { name: 'm', maxBatchSize }), { inputs, outputs });

describe('tritonConfig', () => {
  it('leaves the batch dimension out of dims when batching, symbolic dims are -1, [batch] is [ 1 ] reshaped to a scalar', () => {
    expect(checked([x, ids], [y, half], 8)).toEqual({
      name: 'm',
      platform: 'onnxruntime_onnx',
      max_batch_size: 8,
      input: [
        { name: 'x', data_type: 'TYPE_FP32', dims: [3, -1] },
        { name: 'ids', data_type: 'TYPE_INT64', dims: [1], reshape: { shape: [] } },
      ],
      output: [
        { name: 'y', data_type: 'TYPE_FP64', dims: [2] },
        { name: 'h', data_type: 'TYPE_FP16', dims: [4] },
      ],
      dynamic_batching: {},
    });
  });

  it('keeps full shapes and no dynamic batching with max_batch_size 0', () => {
    const fixed: TensorInfo = { name: 'f', dtype: 'uint8', shape: [4, 4] };
    expect(checked([fixed], [y], 0)).toEqual({
      name: 'm',
      platform: 'onnxruntime_onnx',
      max_batch_size: 0,
      input: [{ name: 'f', data_type: 'TYPE_UINT8', dims: [4, 4] }],
      output: [{ name: 'y', data_type: 'TYPE_FP64', dims: [-1, 2] }],
    });
  });

  it('writes a scalar as dims [ 1 ] without batching, as the onnxruntime backend does (Triton refuses an empty reshape there)', () => {
    const scalar: TensorInfo = { name: 's', dtype: 'float32', shape: [] };
    expect(checked([scalar, ids], [scalar], 0)).toMatchObject({
      max_batch_size: 0,
      input: [
        { name: 's', dims: [1] },
        { name: 'ids', dims: [-1] },
      ],
      output: [{ name: 's', dims: [1] }],
    });
    expect(checked([scalar], [scalar], 0).input).toEqual([{ name: 's', data_type: 'TYPE_FP32', dims: [1] }]);
  });

  it('refuses to batch a tensor without a batch dimension', () => {
    const fixed: TensorInfo = { name: 'f', dtype: 'float32', shape: [4, 4] };
    expect(() => tritonConfig([fixed], [y], { name: 'm', maxBatchSize: 4 })).toThrow(
      /^input 'f' has shape \[4, 4\] without a batch dimension first; use --max-batch-size 0$/,
    );
  });

  it('refuses a tensor of unknown rank', () => {
    const unknown: TensorInfo = { name: 'u', dtype: 'float32', shape: null };
    expect(() => tritonConfig([x], [unknown], { name: 'm', maxBatchSize: 0 })).toThrow(/^output 'u' has no declared shape; Triton needs its rank$/);
  });

  it('knows when a model can be batched', () => {
    expect(batchable([x, ids], [y])).toBe(true);
    expect(batchable([x, { name: 'f', dtype: 'float32', shape: [2] }], [y])).toBe(false);
    expect(batchable([x], [{ name: 's', dtype: 'float32', shape: [] }])).toBe(false);
  });
});
