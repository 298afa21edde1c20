/**
 * The XOR guide as a definition module for `onnxpipe train`:
 *   pnpm onnxpipe train models/xor-definition.ts --epochs 10 --iterations 1000 --out xor.onnx
 */
import { sgd } from '@onnxpipe/graph-builder';
import { xorBatches, xorModel } from './xor.js';

export const model = xorModel();
export const loss = 'binary_cross_entropy';
export const optimizer = sgd({ learningRate: 0.01 });
export const data = xorBatches(32, 7);
