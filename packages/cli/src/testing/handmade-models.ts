/** The runtime package's hand-encoded ONNX models (two outputs; float16), for the CLI's tests. */
export { AFFINE, affineForward, affineModel, encodeModel, float16Model } from '../../../runtime/src/testing/handmade-model.js';
