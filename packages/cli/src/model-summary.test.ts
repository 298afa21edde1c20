import { describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import { countGraph } from './model-summary.js';

describe('countGraph', () => {
  it('sums initializer elements and counts main-graph nodes', () => {
    const bytes = onnxProto.onnx.ModelProto.encode({
      graph: {
        node: [{ opType: 'Add' }, { opType: 'Relu' }],
        initializer: [{ dims: [2, 3] }, { dims: [4] }, { dims: [] }],
      },
    }).finish();
    expect(countGraph(bytes)).toEqual({ parameters: 6 + 4 + 1, nodes: 2 });
  });

  it('gives zeros for a model without a graph', () => {
    expect(countGraph(onnxProto.onnx.ModelProto.encode({}).finish())).toEqual({ parameters: 0, nodes: 0 });
  });
});
