import { describe, expect, it } from 'vitest';
import { prepareInputs, sameNames } from './inputs.js';
import type { TensorInfo } from './types.js';

const x1: TensorInfo = { name: 'x1', dtype: 'float32', shape: ['batch', 1] };
const x2: TensorInfo = { name: 'x2', dtype: 'float32', shape: ['batch', 2] };

describe('prepareInputs', () => {
  it('converts nested arrays, { data, dims } and typed arrays to the declared dtype', () => {
    const prepared = prepareInputs([x1, x2], { x1: [[0], [1]], x2: { data: [1, 2, 3, 4], dims: [2, 2] } });
    expect(prepared.x1).toEqual({ dtype: 'float32', dims: [2, 1], data: Float32Array.from([0, 1]) });
    expect(prepared.x2).toEqual({ dtype: 'float32', dims: [2, 2], data: Float32Array.from([1, 2, 3, 4]) });
    const data = Float32Array.from([5]);
    expect(prepareInputs([x1], { x1: { data, dims: [1, 1] } }).x1?.data).toBe(data);
    expect(prepareInputs([{ ...x1, dtype: 'float64' }], { x1: { data, dims: [1, 1] } }).x1?.data).toEqual(
      Float64Array.from([5]),
    );
  });

  it.each([
    ['int64', [[3], [-4]], BigInt64Array.from([3n, -4n])],
    ['int32', [[3], [-4]], Int32Array.from([3, -4])],
    ['uint8', [[255], [0]], Uint8Array.from([255, 0])],
    ['bool', [[1], [0]], Uint8Array.from([1, 0])],
    ['float64', [[0.1], [Number.NaN]], Float64Array.from([0.1, Number.NaN])],
  ] as const)('converts to %s', (dtype, value, data) => {
    expect(prepareInputs([{ ...x1, dtype }], { x1: value }).x1?.data).toEqual(data);
  });

  it.each([
    ['int64', [[1.5]], /input 'x1': value at \[0, 0\] is 1.5, expected an integer from -9007199254740991 to 9007199254740991 for dtype int64/],
    ['uint8', [[256]], /input 'x1': value at \[0, 0\] is 256, expected an integer from 0 to 255 for dtype uint8/],
    ['bool', [[2]], /value at \[0, 0\] is 2, expected an integer from 0 to 1 for dtype bool/],
    ['int32', [[Number.NaN]], /value at \[0, 0\] is NaN, expected an integer/],
  ] as const)('rejects values that %s cannot hold', (dtype, value, message) => {
    expect(() => prepareInputs([{ ...x1, dtype }], { x1: value })).toThrow(message);
  });

  it.each([
    [{ x1: [[0]] }, /missing input 'x2'; the model expects inputs: x1, x2$/],
    [{}, /missing inputs 'x1', 'x2'; the model expects inputs: x1, x2$/],
    [{ x1: [[0]], x2: [[0, 1]], x3: [[0]] }, /unknown input 'x3'; the model expects inputs: x1, x2$/],
    [{ x1: [0], x2: [[0, 1]] }, /input 'x1': expected shape \[batch, 1\], got \[1\] \(rank 2, got rank 1\)/],
    [{ x1: [[0, 1]], x2: [[0, 1]] }, /input 'x1': expected shape \[batch, 1\], got \[1, 2\]$/],
    [{ x1: [[0], [1, 2]], x2: [[0, 1]] }, /input 'x1' is ragged: row 1 has 2 values, row 0 has 1/],
    [{ x1: [['0']], x2: [[0, 1]] }, /input 'x1': value at \[0, 0\] is a string \("0"\), expected a number/],
    [{ x1: [[0], [1]], x2: [[0, 1]] }, /inputs 'x1' and 'x2' disagree on dimension 'batch': 2 vs 1/],
    [{ x1: 'abc', x2: [[0, 1]] }, /input 'x1': expected nested number arrays, \{ data, dims \} or an onnxruntime Tensor, got a string/],
    [{ x1: { data: [1, 2], dims: [1, 1] }, x2: [[0, 1]] }, /input 'x1': data has 2 values but dims \[1, 1\] need 1/],
    [{ x1: { data: [1], dims: [1, -1] }, x2: [[0, 1]] }, /input 'x1': dims must be an array of non-negative integers, got \[1,-1\]/],
    [{ x1: { data: 'a', dims: [1] }, x2: [[0, 1]] }, /input 'x1': data must be a typed array or an array of numbers, got a string/],
    [{ x1: { data: [null], dims: [1, 1] }, x2: [[0, 1]] }, /input 'x1': value at index 0 is null, expected a number/],
  ])('rejects %j', (inputs, message) => {
    expect(() => prepareInputs([x1, x2], inputs)).toThrow(message);
  });

  it('rejects a non-record', () => {
    expect(() => prepareInputs([x1], [[0]] as never)).toThrow(/inputs must be a record of input name to tensor; the model expects inputs: x1/);
  });

  it('checks a symbolic dim repeated within one input, and leaves unnamed dims and undeclared ranks alone', () => {
    const square: TensorInfo = { name: 'm', dtype: 'float32', shape: ['n', 'n'] };
    expect(() => prepareInputs([square], { m: [[1, 2]] })).toThrow(/input 'm' disagrees on dimension 'n': 1 vs 2/);
    const free: TensorInfo[] = [
      { name: 'u', dtype: 'float32', shape: ['?', 1] },
      { name: 'v', dtype: 'float32', shape: null },
    ];
    expect(prepareInputs(free, { u: [[1], [2]], v: [[[3]]] }).v?.dims).toEqual([1, 1, 1]);
  });
});

describe('sameNames', () => {
  it('is true only for exactly the names, in any order', () => {
    expect(sameNames(['x2', 'x1'], ['x1', 'x2'])).toBe(true);
    expect(sameNames([], [])).toBe(true);
    expect(sameNames(['x1'], ['x1', 'x2'])).toBe(false);
    expect(sameNames(['x1', 'x3'], ['x1', 'x2'])).toBe(false);
    expect(sameNames(['x1', 'x2', 'x3'], ['x1', 'x2'])).toBe(false);
  });
});
