/**
 * The XOR guide as a definition module for `onnxpipe train`:
 *   pnpm onnxpipe train models/xor-definition.ts --epochs 10 --iterations 1000 --out xor.onnx
 */
import { input, sgd } from '@onnxpipe/graph-builder';
import { xorBatches } from './xor.js';

export const model = input('x1', { shape: [null, 1] })
  .concatenate(input('x2', { shape: [null, 1] }))
  .dense(8, { activation: 'tanh' })
  .dense(1, { activation: 'sigmoid' });
export const loss = 'binary_cross_entropy';
export const optimizer = sgd({ learningRate: 0.01 });
export const data = xorBatches(32, 7);
