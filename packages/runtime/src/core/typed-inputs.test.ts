import { describe, expect, it } from 'vitest';
import { prepareInputs } from './inputs.js';
import { TypedInputs } from './typed-inputs.js';
import type { TensorInfo } from './types.js';

const x1: TensorInfo = { name: 'x1', dtype: 'float32', shape: ['batch', 1] };
const x2: TensorInfo = { name: 'x2', dtype: 'float32', shape: ['batch', 2] };
const infos = [x1, x2];
const f32 = (n: number) => Float32Array.from({ length: n }, (_, i) => i);

describe('TypedInputs', () => {
  it('takes { data, dims } of the declared dtype and shape as they are, with a copy of dims', () => {
    const data = f32(2);
    const dims = [2, 1];
    const inputs = { x1: { data, dims }, x2: { data: f32(4), dims: [2, 2] } };
    const prepared = new TypedInputs(infos).fromRecord(inputs);
    expect(prepared).toEqual({ x1: { dtype: 'float32', dims: [2, 1], data }, x2: { dtype: 'float32', dims: [2, 2], data: f32(4) } });
    expect(prepared!.x1!.data).toBe(data);
    expect(prepared!.x1!.dims).not.toBe(dims);
    expect(new TypedInputs(infos).fromValues([inputs.x1, inputs.x2])).toEqual(prepared);
  });

  it('takes what the model leaves open: unnamed dims, undeclared ranks, float16 bits, int64', () => {
    const free: TensorInfo[] = [
      { name: 'u', dtype: 'float16', shape: ['?', 1] },
      { name: 'v', dtype: 'int64', shape: null },
    ];
    const u = { data: Uint16Array.of(0x3c00, 0), dims: [2, 1] };
    const v = { data: BigInt64Array.of(1n, 2n, 3n), dims: [3, 1, 1] };
    expect(new TypedInputs(free).fromValues([u, v])).toEqual({ u: { dtype: 'float16', ...u }, v: { dtype: 'int64', ...v } });
  });

  // Each value either gives exactly what prepareInputs gives, or is left to prepareInputs (undefined).
  const cases: [string, Record<string, unknown>, 'typed' | 'declined'][] = [
    ['typed float32', { x1: { data: f32(3), dims: [3, 1] }, x2: { data: f32(6), dims: [3, 2] } }, 'typed'],
    ['an empty batch', { x1: { data: f32(0), dims: [0, 1] }, x2: { data: f32(0), dims: [0, 2] } }, 'typed'],
    ['float64 data for float32', { x1: { data: new Float64Array(1), dims: [1, 1] }, x2: { data: f32(2), dims: [1, 2] } }, 'declined'],
    ['plain arrays', { x1: { data: [0], dims: [1, 1] }, x2: { data: f32(2), dims: [1, 2] } }, 'declined'],
    ['nested arrays', { x1: [[0]], x2: [[0, 1]] }, 'declined'],
    ['a missing input', { x1: { data: f32(1), dims: [1, 1] } }, 'declined'],
    ['an unknown input', { x1: { data: f32(1), dims: [1, 1] }, x2: { data: f32(2), dims: [1, 2] }, x3: 0 }, 'declined'],
    ['data shorter than dims', { x1: { data: f32(1), dims: [2, 1] }, x2: { data: f32(4), dims: [2, 2] } }, 'declined'],
    ['a wrong fixed dim', { x1: { data: f32(2), dims: [1, 2] }, x2: { data: f32(2), dims: [1, 2] } }, 'declined'],
    ['a wrong rank', { x1: { data: f32(1), dims: [1] }, x2: { data: f32(2), dims: [1, 2] } }, 'declined'],
    ['batches that disagree', { x1: { data: f32(2), dims: [2, 1] }, x2: { data: f32(2), dims: [1, 2] } }, 'declined'],
    ['a negative dim', { x1: { data: f32(0), dims: [-1, 1] }, x2: { data: f32(2), dims: [1, 2] } }, 'declined'],
    ['a fractional dim', { x1: { data: f32(1), dims: [1.5, 1] }, x2: { data: f32(2), dims: [1, 2] } }, 'declined'],
    ['dims that are not an array', { x1: { data: f32(1), dims: '1,1' }, x2: { data: f32(2), dims: [1, 2] } }, 'declined'],
    ['a DataView', { x1: { data: new DataView(new ArrayBuffer(4)), dims: [1, 1] }, x2: { data: f32(2), dims: [1, 2] } }, 'declined'],
    ['a number', { x1: 1, x2: { data: f32(2), dims: [1, 2] } }, 'declined'],
    ['null', { x1: null, x2: { data: f32(2), dims: [1, 2] } }, 'declined'],
  ];

  it.each(cases)('%s: %s', (_, inputs, expected) => {
    const typed = new TypedInputs(infos).fromRecord(inputs);
    expect(typed === undefined ? 'declined' : 'typed').toBe(expected);
    if (typed !== undefined) expect(typed).toEqual(prepareInputs(infos, inputs));
  });

  it('declines a record of the wrong kind and values of the wrong count', () => {
    const typed = new TypedInputs(infos);
    expect(typed.fromRecord(null)).toBeUndefined();
    expect(typed.fromRecord([{ data: f32(1), dims: [1, 1] }])).toBeUndefined();
    expect(typed.fromValues([{ data: f32(1), dims: [1, 1] }])).toBeUndefined();
  });

  it('binds symbolic dims afresh on each call', () => {
    const typed = new TypedInputs(infos);
    expect(typed.fromValues([{ data: f32(1), dims: [1, 1] }, { data: f32(2), dims: [1, 2] }])).toBeDefined();
    expect(typed.fromValues([{ data: f32(3), dims: [3, 1] }, { data: f32(6), dims: [3, 2] }])).toBeDefined();
    const square = new TypedInputs([{ name: 'm', dtype: 'float32', shape: ['n', 'n'] }]);
    expect(square.fromValues([{ data: f32(4), dims: [2, 2] }])).toBeDefined();
    expect(square.fromValues([{ data: f32(2), dims: [1, 2] }])).toBeUndefined();
  });

  it('reads dims before data, as prepareInputs does, and does not read data when dims are wrong', () => {
    const read: string[] = [];
    const value = {
      get dims() {
        read.push('dims');
        return [1, 3];
      },
      get data() {
        read.push('data');
        return f32(3);
      },
    };
    expect(new TypedInputs([x1]).fromValues([value])).toBeUndefined();
    expect(read).toEqual(['dims']);
  });
});
