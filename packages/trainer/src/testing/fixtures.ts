/**
 * The XOR fixtures of the trainer's tests: the guide's network and seeded batches (models/xor.ts,
 * which the scripts and pages use too) and the hand-written float64 reference they are checked
 * against (graph-builder's testing/xor-reference.ts, which imports nothing from the builder).
 */
import { seededRandom } from '@onnxpipe/graph-builder';
import { xorColumns, type XorColumns } from '../../../../models/xor.js';

export { xorBatches, xorModel, type XorColumns } from '../../../../models/xor.js';
export { float64Params, xorEvaluate, xorProbability, xorSgdStep } from '../../../graph-builder/src/testing/xor-reference.js';

/** `size` XOR rows drawn from `seededRandom(seed)`: the same seed gives the same rows. */
export const xorBatch = (size: number, seed: number): XorColumns => xorColumns(size, seededRandom(seed));
