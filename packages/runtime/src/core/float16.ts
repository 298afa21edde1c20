/**
 * IEEE 754 binary16 ("half", ONNX FLOAT16) conversions. onnxruntime takes and returns float16 tensors as
 * `Uint16Array` bit patterns where the platform has no `Float16Array`, so numbers are converted here, exactly.
 */

const MIN_NORMAL = 2 ** -14;

/** Rounds a non-negative number to an integer, ties to even (the value is exact: a power-of-two scaling of a double). */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const rest = value - floor;
  if (rest > 0.5) return floor + 1;
  if (rest < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The exponent `e` with 2^e ≤ value < 2^(e+1), for a positive finite value. */
function binaryExponent(value: number): number {
  let exponent = Math.floor(Math.log2(value));
  if (2 ** exponent > value) exponent--;
  else if (2 ** (exponent + 1) <= value) exponent++;
  return exponent;
}

/**
 * The float16 bit pattern nearest to `value` (round to nearest, ties to even), rounding once from the
 * double: converting through float32 first would round twice. Overflow gives ±Infinity, NaN a quiet NaN.
 */
export function toFloat16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  if (magnitude < MIN_NORMAL) {
    // Subnormal: a multiple of 2^-24; rounding up to 1024 lands on the smallest normal, 0x0400.
    return sign | roundHalfEven(magnitude * 2 ** 24);
  }
  if (magnitude === Infinity) return sign | 0x7c00;
  const exponent = binaryExponent(magnitude);
  // 1024 ≤ significand ≤ 2048; a carry to 2048 moves to the next exponent through the addition below.
  const significand = roundHalfEven(magnitude * 2 ** (10 - exponent));
  const bits = ((exponent + 15) << 10) + (significand - 1024);
  return sign | Math.min(bits, 0x7c00);
}

/** The number a float16 bit pattern stands for (every float16 value is exact as a double and as a float32). */
export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

/** Float16 bit patterns of `values`. */
export const float16BitsFrom = (values: ArrayLike<number>): Uint16Array => Uint16Array.from(values as ArrayLike<number>, toFloat16Bits);

/** The values of float16 bit patterns, as a `Float32Array` (exact: float32 holds every float16 value). */
export const float16Values = (bits: ArrayLike<number>): Float32Array => Float32Array.from(bits, fromFloat16Bits);
