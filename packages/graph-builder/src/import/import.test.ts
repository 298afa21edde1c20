import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { exportInference, exportTrainStep, importOnnx, initParams, sgd, summary } from '../index.js';
import { onnxFile, type FileModel } from '../testing/onnx-file.js';

/** x [batch, 3] → MatMul W [3, 2] → Add b → Relu → MatMul V [2, 1] = y */
const mlp = (extra: Partial<FileModel> = {}): FileModel => ({
  inputs: [{ name: 'x', dtype: 'float32', dims: ['N', 3] }],
  outputs: [{ name: 'y', dtype: 'float32', dims: ['N', 1] }],
  initializers: [
    { name: 'W', dtype: 'float32', dims: [3, 2], data: [0.1, -0.2, 0.3, 0.4, -0.5, 0.6] },
    { name: 'b', dtype: 'float32', dims: [2], data: [0.01, -0.02] },
    { name: 'V', dtype: 'float32', dims: [2, 1], data: [0.7, -0.8] },
  ],
  nodes: [
    { op: 'MatMul', inputs: ['x', 'W'], outputs: ['h0'], name: 'fc1' },
    { op: 'Add', inputs: ['h0', 'b'], outputs: ['h1'], name: 'bias1' },
    { op: 'Relu', inputs: ['h1'], outputs: ['features'], name: 'act' },
    { op: 'MatMul', inputs: ['features', 'V'], outputs: ['y'], name: 'head' },
  ],
  ...extra,
});

describe('importOnnx', () => {
  it('keeps the graph’s input and output names, makes the first symbolic dim the batch, and returns every float initializer', () => {
    const { model, params } = importOnnx(onnxFile(mlp()));
    expect(model.outputs.map((o) => [o.name, o.tensor.shape])).toEqual([['y', ['batch', 1]]]);
    expect(Object.keys(params)).toEqual(['W', 'b', 'V']);
    expect(Array.from(params.W!.data)).toEqual(Array.from(Float32Array.of(0.1, -0.2, 0.3, 0.4, -0.5, 0.6)));
    expect(summary(model)).toMatch(/fc1 \(MatMul\)\s+\[batch, 2\]\s+6/);
    expect(initParams(model)).toEqual(params);
  });

  it('trainable: a list, a RegExp or a predicate; the rest are constants of the train step', () => {
    const bytes = onnxFile(mlp());
    const names = (options: Parameters<typeof importOnnx>[1]) => exportTrainStep(importOnnx(bytes, options).model, { loss: 'mean_squared_error', optimizer: sgd() }).signature.params.map((p) => p.name);
    expect(names({})).toEqual(['W', 'b', 'V']);
    expect(names({ trainable: ['V'] })).toEqual(['V']);
    expect(names({ trainable: /^[Wb]$/ })).toEqual(['W', 'b']);
    expect(names({ trainable: (n) => n !== 'W' })).toEqual(['b', 'V']);
    expect(() => importOnnx(bytes, { trainable: ['V', 'head.weight'] })).toThrow(/^importOnnx: trainable names 'head.weight' are not float initializers of the model \(it has W, b, V\)$/);
  });

  it('model.tensor(name) continues an intermediate value with the layer API: a new head, imported names kept, the old head gone', async () => {
    const { model } = importOnnx(onnxFile(mlp()));
    const features = model.tensor('features');
    expect(features.shape).toEqual(['batch', 2]);
    const head = features.dense(3, { activation: 'softmax' });
    const step = exportTrainStep(head, { loss: 'sparse_categorical_cross_entropy', optimizer: sgd() });
    expect(step.signature.params.map((p) => p.name)).toEqual(['W', 'b', 'dense_0.kernel', 'dense_0.bias']);
    const state = initParams(head);
    expect(Array.from(state.W!.data)).toEqual(Array.from(Float32Array.of(0.1, -0.2, 0.3, 0.4, -0.5, 0.6)));
    const session = await ort.InferenceSession.create(exportInference(head, state));
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(1, 2, 3), [1, 3]) });
    await session.release();
    expect((out.dense_0!.data as Float32Array).reduce((a, v) => a + v, 0)).toBeCloseTo(1, 6);
    expect(() => model.tensor('nope')).toThrow(/^tensor: the graph has no computed value 'nope' \(constants are folded\); some of its values: /);
  });

  it('folds shape computations: a Reshape to [Shape(x)[0], -1] becomes a constant target', () => {
    const m = importOnnx(
      onnxFile({
        inputs: [{ name: 'x', dtype: 'float32', dims: ['N', 2, 3] }],
        outputs: [{ name: 'y', dtype: 'float32', dims: ['N', 6] }],
        initializers: [
          { name: 'zero', dtype: 'int64', dims: [], data: [0] },
          { name: 'minus1', dtype: 'int64', dims: [1], data: [-1] },
          { name: 'axes', dtype: 'int64', dims: [1], data: [0] },
        ],
        nodes: [
          { op: 'Shape', inputs: ['x'], outputs: ['s'] },
          { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: { axis: 0 } },
          { op: 'Unsqueeze', inputs: ['n', 'axes'], outputs: ['n1'] },
          { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['target'], attrs: { axis: 0 } },
          { op: 'Reshape', inputs: ['x', 'target'], outputs: ['y'] },
        ],
      }),
    ).model;
    expect(m.outputs[0]!.tensor.shape).toEqual(['batch', 6]);
    expect(summary(m).match(/\(Shape\)|\(Gather\)|\(Concat\)/g)).toBeNull();
  });

  it('ReduceMean axes given as an attribute (before opset 18) become the input', () => {
    const { model } = importOnnx(
      onnxFile({
        opset: 13,
        inputs: [{ name: 'x', dtype: 'float32', dims: ['N', 4] }],
        outputs: [{ name: 'y', dtype: 'float32', dims: ['N'] }],
        nodes: [{ op: 'ReduceMean', inputs: ['x'], outputs: ['y'], attrs: { axes: [1], keepdims: 0 } }],
      }),
    );
    expect(model.outputs[0]!.tensor.shape).toEqual(['batch']);
  });

  it('refuses what it cannot import, naming the nodes', () => {
    expect(() => importOnnx(Uint8Array.of(1, 2, 3))).toThrow(/^importOnnx: the bytes are not an ONNX model/);
    expect(() => importOnnx(onnxFile(mlp({ opset: 11 })))).toThrow(/^importOnnx: the model uses opset 11 of the default domain; onnxpipe imports opsets 13 to 21/);
    const withUnknown = mlp({ nodes: [...mlp().nodes.slice(0, 3), { op: 'Hardmax', inputs: ['features'], outputs: ['f2'], name: 'odd' }, { op: 'MatMul', inputs: ['f2', 'V'], outputs: ['y'], name: 'head' }] });
    expect(() => importOnnx(onnxFile(withUnknown))).toThrow(/^importOnnx: onnxpipe cannot import 1 node: node 'odd' \(Hardmax\)$/);
    const foreign = mlp({ nodes: [...mlp().nodes.slice(0, 3), { op: 'FusedGemm', domain: 'com.microsoft', inputs: ['features', 'V'], outputs: ['y'], name: 'fused' }], extraOpsets: [{ domain: 'com.microsoft', version: 1 }] });
    expect(() => importOnnx(onnxFile(foreign))).toThrow(/^importOnnx: onnxpipe cannot import 1 node: node 'fused' \(FusedGemm\) in domain com\.microsoft \(the model also imports domains com\.microsoft\)$/);
    const badAttr = mlp({ nodes: [...mlp().nodes.slice(0, 2), { op: 'Relu', inputs: ['h1'], outputs: ['features'], name: 'act', attrs: { flavour: 1 } }, mlp().nodes[3]!] });
    expect(() => importOnnx(onnxFile(badAttr))).toThrow(/^importOnnx: onnxpipe cannot import 1 node: node 'act' \(Relu\) with attribute flavour$/);
  });

  it('an op without a gradient rule on a trainable path: the error names the op, the node and the parameters; freezing them trains the rest', () => {
    const signed = mlp({ nodes: [...mlp().nodes.slice(0, 2), { op: 'Sign', inputs: ['h1'], outputs: ['features'], name: 'sign' }, mlp().nodes[3]!] });
    const bytes = onnxFile(signed);
    expect(() => exportTrainStep(importOnnx(bytes).model, { loss: 'mean_squared_error', optimizer: sgd() })).toThrow(
      /^no gradient rule for op Sign \(node sign\/Sign_0\); the gradient of W, b needs it \(an imported model can train without them: leave them out of importOnnx's trainable option\)$/,
    );
    expect(exportTrainStep(importOnnx(bytes, { trainable: ['V'] }).model, { loss: 'mean_squared_error', optimizer: sgd() }).signature.params.map((p) => p.name)).toEqual(['V']);
  });
});
