import { encodeModel } from '../../../runtime/src/testing/handmade-model.js';

/** The runtime package's hand-encoded ONNX models (two outputs; float16), for the CLI's tests. */
export { AFFINE, affineForward, affineModel, encodeModel, float16Model } from '../../../runtime/src/testing/handmade-model.js';

/** Inputs `x` [N] and the scalar `scale` (float32); outputs `y = x · scale` [N] and the scalar `total = Σ y`. */
export function scaleModel(): Uint8Array {
  return encodeModel({
    inputs: [
      { name: 'x', shape: ['N'] },
      { name: 'scale', shape: [] },
    ],
    outputs: [
      { name: 'y', shape: ['N'] },
      { name: 'total', shape: [] },
    ],
    nodes: [
      { op: 'Mul', inputs: ['x', 'scale'], outputs: ['y'] },
      { op: 'ReduceSum', inputs: ['y'], outputs: ['total'], attributes: { keepdims: 0 } },
    ],
  });
}
