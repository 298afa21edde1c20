import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { affineModel, encodeModel } from '../testing/handmade-model.js';
import { readModelInfo } from './metadata.js';

const { onnx } = onnxProto;
const { DataType } = onnx.TensorProto;

const identity = (input: Parameters<typeof encodeModel>[0]['inputs'][number]) =>
  encodeModel({
    inputs: [input],
    outputs: [{ ...input, name: 'out' }],
    nodes: [{ op: 'Identity', inputs: [input.name], outputs: ['out'] }],
  });

describe('readModelInfo', () => {
  it('reads inputs, outputs, opset, IR version and producer', () => {
    expect(readModelInfo(affineModel(), 'm')).toEqual({
      inputs: [
        { name: 'a', dtype: 'float32', shape: ['N', 2] },
        { name: 'features', dtype: 'float32', shape: ['N', 3] },
      ],
      outputs: [
        { name: 'y', dtype: 'float32', shape: ['N', 2] },
        { name: 'relu', dtype: 'float32', shape: ['N', 2] },
      ],
      opset: 17,
      irVersion: 8,
      producer: { name: 'handmade', version: '1' },
      // 2 FLOPs per weight of the two MatMuls: Wa [2, 2], Wf [3, 2]
      flopsPerRow: 20,
    });
  });

  it('shows unnamed dims as ? and an undeclared rank as null', () => {
    expect(readModelInfo(identity({ name: 'x', shape: [null, 4] }), 'm').inputs).toEqual([
      { name: 'x', dtype: 'float32', shape: ['?', 4] },
    ]);
    expect(readModelInfo(identity({ name: 'x', shape: null }), 'm').inputs).toEqual([
      { name: 'x', dtype: 'float32', shape: null },
    ]);
  });

  it.each([
    [DataType.DOUBLE, 'float64'],
    [DataType.INT64, 'int64'],
    [DataType.INT32, 'int32'],
    [DataType.BOOL, 'bool'],
    [DataType.UINT8, 'uint8'],
  ])('maps element type %i to %s', (elemType, dtype) => {
    expect(readModelInfo(identity({ name: 'x', shape: [1], elemType }), 'm').inputs[0]?.dtype).toBe(dtype);
  });

  it('leaves initializers listed as graph inputs out of the inputs', () => {
    const model = onnx.ModelProto.decode(affineModel());
    model.graph?.input?.push({ name: 'Wa', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [] } } } });
    const info = readModelInfo(onnx.ModelProto.encode(model).finish(), 'm');
    expect(info.inputs.map((i) => i.name)).toEqual(['a', 'features']);
  });

  it.each([
    ['text', new TextEncoder().encode('this is a text file, not a model\n'), /'m' is not a valid ONNX model/],
    ['PNG', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), /'m' is not a valid ONNX model/],
    ['truncated', affineModel().slice(0, 60), /'m' is not a valid ONNX model \(corrupted, truncated/],
    ['empty', new Uint8Array(0), /'m' is not a valid ONNX model: it declares no ir_version/],
  ])('rejects a %s file', (_, bytes, message) => {
    expect(() => readModelInfo(bytes, "'m'")).toThrow(message);
  });

  it('rejects models without a graph, opset or outputs', () => {
    const encode = (m: onnxProto.onnx.IModelProto) => onnx.ModelProto.encode(m).finish();
    const graph = onnx.ModelProto.decode(affineModel()).graph;
    expect(() => readModelInfo(encode({ irVersion: 8 }), 'm')).toThrow(/m is not a valid ONNX model: it has no graph/);
    expect(() => readModelInfo(encode({ irVersion: 8, graph }), 'm')).toThrow(/imports no operator set/);
    expect(() =>
      readModelInfo(encode({ irVersion: 8, opsetImport: [{ version: 17 }], graph: { ...graph, output: [] } }), 'm'),
    ).toThrow(/its graph has no outputs/);
  });

  it('rejects unsupported element types and non-tensor values, naming them', () => {
    expect(() => readModelInfo(identity({ name: 's', shape: [1], elemType: DataType.STRING }), 'm')).toThrow(
      /m: input 's' has element type STRING, which is not supported \(supported: float32, /,
    );
    expect(() => readModelInfo(identity({ name: 'h', shape: [1], elemType: DataType.BFLOAT16 }), 'm')).toThrow(
      /input 'h' has element type BFLOAT16/,
    );
    expect(readModelInfo(identity({ name: 'h', shape: [1], elemType: DataType.FLOAT16 }), 'm').inputs[0]?.dtype).toBe('float16');
    const model = onnx.ModelProto.decode(affineModel());
    const output = model.graph?.output?.[0];
    if (output) output.type = { sequenceType: { elemType: { tensorType: { elemType: DataType.FLOAT } } } };
    expect(() => readModelInfo(onnx.ModelProto.encode(model).finish(), 'm')).toThrow(
      /m: output 'y' is a sequence; only tensor outputs are supported/,
    );
  });
});
