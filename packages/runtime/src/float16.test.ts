import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float16BitsFrom, fromFloat16Bits, toFloat16Bits } from './core/float16.js';
import { loadModel, type Model } from './node.js';
import { float16Model } from './testing/handmade-model.js';

// The reference is onnxruntime itself: its Cast between float16 and float32, run on a raw session.
let raw: ort.InferenceSession;
let model: Model;
beforeAll(async () => {
  raw = await ort.InferenceSession.create(float16Model());
  model = await loadModel(float16Model());
});
afterAll(async () => {
  await raw.release();
  await model.close();
});

const ALL_BITS = Uint16Array.from({ length: 0x10000 }, (_, i) => i);
const isNaNBits = (bits: number) => (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;

async function runRaw(h: Uint16Array, f: Float32Array) {
  const out = await raw.run({ h: new ort.Tensor('float16', h, [h.length]), f: new ort.Tensor('float32', f, [f.length]) });
  return { hAsFloat: out.h_as_float!.data as Float32Array, fAsHalf: out.f_as_half!.data as Uint16Array };
}

/** Float32 values around every float16: the value, the midpoints to its neighbours, and one float32 step either side of each. */
function probeValues(): Float32Array {
  const step = (x: number, direction: 1 | -1) => {
    const bits = new Uint32Array(Float32Array.of(x).buffer)[0]!;
    const next = x === 0 ? (direction > 0 ? 1 : 0x80000001) : (x > 0) === direction > 0 ? bits + 1 : bits - 1;
    return new Float32Array(Uint32Array.of(next).buffer)[0]!;
  };
  const values: number[] = [];
  for (let bits = 0; bits < 0x7c00; bits++) {
    const value = fromFloat16Bits(bits);
    const mid = (value + fromFloat16Bits(bits + 1)) / 2; // exact in float32: 12 significant bits
    for (const v of [value, mid, step(mid, 1), step(mid, -1)]) values.push(v, -v);
  }
  values.push(65519, 65520, 65536, 1e30, Infinity, -Infinity, Number.NaN);
  return Float32Array.from(values);
}

describe('float16 against onnxruntime', () => {
  it('decodes all 65,536 bit patterns as onnxruntime casts them to float32', async () => {
    const { hAsFloat } = await runRaw(ALL_BITS, new Float32Array(ALL_BITS.length));
    const wrong: string[] = [];
    ALL_BITS.forEach((bits) => {
      const ours = fromFloat16Bits(bits);
      const theirs = hAsFloat[bits]!;
      if (!(Object.is(ours, theirs) || (Number.isNaN(ours) && Number.isNaN(theirs)))) wrong.push(`0x${bits.toString(16)}: ${ours} vs ${theirs}`);
    });
    expect(wrong).toEqual([]);
  });

  it('encodes float32 values (exact, ties, either side of ties, overflow) to the bits onnxruntime casts them to', async () => {
    const values = probeValues();
    const { fAsHalf } = await runRaw(new Uint16Array(values.length), values);
    const ours = float16BitsFrom(values);
    const wrong: string[] = [];
    values.forEach((v, i) => {
      const [a, b] = [ours[i]!, fAsHalf[i]!];
      if (!(a === b || (isNaNBits(a) && isNaNBits(b)))) wrong.push(`${v}: 0x${a.toString(16)} vs 0x${b.toString(16)}`);
    });
    expect(values.length).toBeGreaterThan(200_000);
    expect(wrong).toEqual([]);
  });
});

describe('loadModel with float16 inputs and outputs', () => {
  it('reads float16 declarations', () => {
    expect(model.inputs).toEqual([
      { name: 'h', dtype: 'float16', shape: ['N'] },
      { name: 'f', dtype: 'float32', shape: ['N'] },
    ]);
    expect(model.outputs.map((o) => o.dtype)).toEqual(['float16', 'float32', 'float16']);
  });

  it('takes numbers, rounds them once to the nearest float16 and gives numbers back', async () => {
    const values = [0, -0.5, 1 / 3, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -11 + 2 ** -40, 65504, 70000, 2 ** -25, Number.NaN];
    const out = await model.predict({ h: values, f: values });
    const expected = values.map((v) => fromFloat16Bits(toFloat16Bits(v)));
    expect(out.h_copy!.data).toBeInstanceOf(Float32Array);
    expect(Array.from(out.h_copy!.data as Float32Array)).toEqual(expected);
    expect(out.h_copy!.toArray()).toEqual(expected);
    expect(Array.from(out.h_as_float!.data as Float32Array)).toEqual(expected);
    expect(expected.slice(3, 6)).toEqual([1, 1 + 2 ** -9, 1 + 2 ** -10]);
  });

  it('uses a Uint16Array as bit patterns and converts other typed arrays and { data, dims }', async () => {
    const bits = Uint16Array.of(0x3c00, 0x3555, 0x7bff);
    const out = await model.predict({ h: { data: bits, dims: [3] }, f: { data: Float64Array.of(1, 2, 3), dims: [3] } });
    expect(Array.from(out.h_copy!.data as Float32Array)).toEqual([1, 0.333251953125, 65504]);
    const rows = await model.predictBatch([{ h: 0.1, f: 0.1 }]);
    expect(rows[0]).toEqual({ h_copy: fromFloat16Bits(toFloat16Bits(0.1)), h_as_float: fromFloat16Bits(toFloat16Bits(0.1)), f_as_half: fromFloat16Bits(toFloat16Bits(Math.fround(0.1))) });
  });

  it('refuses non-numbers for float16 inputs, naming them', async () => {
    await expect(model.predict({ h: ['1'] as never, f: [1] })).rejects.toThrow(/input 'h': value at \[0\] is a string \("1"\), expected a number/);
  });
});
