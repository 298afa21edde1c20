import { describe, expect, it } from 'vitest';
import type { TensorInfo } from '@onnxpipe/runtime';
import { parsePbtxt } from '../testing/pbtxt.js';
import { batchable, tritonConfig } from './config.js';

const x: TensorInfo = { name: 'x', dtype: 'float32', shape: ['batch', 3, 'len'] };
const ids: TensorInfo = { name: 'ids', dtype: 'int64', shape: ['batch'] };
const y: TensorInfo = { name: 'y', dtype: 'float64', shape: ['batch', 2] };

describe('tritonConfig', () => {
  it('leaves the batch dimension out of dims when batching, symbolic dims are -1', () => {
    const config = parsePbtxt(tritonConfig([x, ids], [y], { name: 'm', maxBatchSize: 8 }));
    expect(config).toEqual({
      name: 'm',
      platform: 'onnxruntime_onnx',
      max_batch_size: 8,
      input: [
        { name: 'x', data_type: 'TYPE_FP32', dims: [3, -1] },
        { name: 'ids', data_type: 'TYPE_INT64', dims: [] },
      ],
      output: [{ name: 'y', data_type: 'TYPE_FP64', dims: [2] }],
      dynamic_batching: {},
    });
  });

  it('keeps full shapes and no dynamic batching with max_batch_size 0', () => {
    const fixed: TensorInfo = { name: 'f', dtype: 'uint8', shape: [4, 4] };
    const config = parsePbtxt(tritonConfig([fixed], [y], { name: 'm', maxBatchSize: 0 }));
    expect(config).toEqual({
      name: 'm',
      platform: 'onnxruntime_onnx',
      max_batch_size: 0,
      input: [{ name: 'f', data_type: 'TYPE_UINT8', dims: [4, 4] }],
      output: [{ name: 'y', data_type: 'TYPE_FP64', dims: [-1, 2] }],
    });
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
