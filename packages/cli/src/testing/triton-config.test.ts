import { describe, expect, it } from 'vitest';
import type { TensorInfo } from '@onnxpipe/runtime';
import { validateTritonConfig } from './triton-config.js';

const model: { inputs: TensorInfo[]; outputs: TensorInfo[] } = {
  inputs: [
    { name: 'x', dtype: 'float32', shape: ['batch', 1] },
    { name: 'n', dtype: 'int64', shape: ['batch'] },
  ],
  outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 1] }],
};

const config = (inputN = '    dims: [ 1 ]\n    reshape { shape: [ ] }', maxBatchSize = 8) => `name: "m"
platform: "onnxruntime_onnx"
max_batch_size: ${maxBatchSize}
input [
  {
    name: "x"
    data_type: TYPE_FP32
    dims: [ 1 ]
  },
  {
    name: "n"
    data_type: TYPE_INT64
${inputN}
  }
]
output [
  {
    name: "y"
    data_type: TYPE_FP32
    dims: [ 1 ]
  }
]
dynamic_batching { }
`;

describe('validateTritonConfig', () => {
  it('accepts a valid config and returns it parsed', () => {
    expect(validateTritonConfig(config(), model)).toMatchObject({ name: 'm', max_batch_size: 8, input: [{ name: 'x' }, { name: 'n', reshape: { shape: [] } }] });
  });

  it.each([
    ['an unknown field', config().replace('name: "y"', 'name: "y"\n    shape: [ 1 ]'), /protoc refuses the config: .*"inference.ModelOutput" has no field named "shape"/],
    ['a bad enum value', config().replace('TYPE_INT64', 'TYPE_INT65'), /protoc refuses the config: .*Unknown enumeration value of "TYPE_INT65" for field "data_type"/],
    ['unbalanced text', config().replace('dynamic_batching { }', 'dynamic_batching {'), /protoc refuses the config/],
    ['missing dims', config('    reshape { shape: [ ] }'), /^model input 'n' must specify 'dims'$/],
    ['empty dims', config('    dims: [ ]'), /^model input 'n' must specify 'dims'$/],
    ['a zero dimension', config('    dims: [ 0 ]'), /^model input 'n' dimension must be integer >= 1, or -1/],
    ['dims and reshape of different sizes', config('    dims: [ 2 ]\n    reshape { shape: [ ] }'), /^model input 'n' has different size for dims and reshape$/],
    ['a missing data_type', config().replace('    data_type: TYPE_INT64\n', ''), /^model input 'n' must specify 'data_type'$/],
    ['an empty reshape without batching', config(undefined, 0), /^model input 'n' cannot have empty reshape for non-batching model/],
    ['a datatype the model does not have', config().replace('TYPE_INT64', 'TYPE_INT32'), /configuration expects datatype TYPE_INT32 for input 'n', model provides TYPE_INT64/],
    ['a scalar where the model has [batch, 1]', config().replace('dims: [ 1 ]\n  },', 'dims: [ 1 ]\n    reshape { shape: [ ] }\n  },'), /tensor 'x': the model expects shape \[-1, 1\] but the configuration gives \[-1\]/],
    ['an input the model lacks', config().replace('name: "x"', 'name: "z"'), /unexpected input 'z', allowed inputs are: x, n/],
  ])('refuses %s', (_, text, message) => {
    expect(() => validateTritonConfig(text, model)).toThrow(message);
  });
});
