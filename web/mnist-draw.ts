/**
 * A drawing turned into an MNIST image the way MNIST's digits were made (LeCun et al.): the ink's
 * bounding box is scaled, keeping its aspect ratio and averaging over areas (which gives the grey
 * edges), so that its longer side is 20 pixels; the result is placed in a 28×28 field with its
 * centre of mass at pixel (14, 14). Platform-free: arrays in, arrays out.
 */

export const SIDE = 28;
const BOX = 20;
/** Ink below this (of 1) does not count for the bounding box: anti-aliasing fringes. */
const INK_THRESHOLD = 0.1;

/**
 * `ink` is `width × height`, row-major, 0 (paper) to 1 (ink). Returns 28 × 28 values in [0, 1],
 * or undefined when nothing is drawn.
 */
export function mnistImage(ink: ArrayLike<number>, width: number, height: number): Float32Array | undefined {
  if (ink.length !== width * height) throw new Error(`mnistImage: ${ink.length} values for a ${width}×${height} drawing`);
  let [left, top, right, bottom] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x]! < INK_THRESHOLD) continue;
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
  }
  if (right < 0) return undefined;
  const w = right - left + 1;
  const h = bottom - top + 1;
  const scale = BOX / Math.max(w, h);
  const outW = Math.max(1, Math.round(w * scale));
  const outH = Math.max(1, Math.round(h * scale));

  // Area averaging is separable: rows first, then columns.
  const rows = new Float64Array(h * outW);
  for (let y = 0; y < h; y++) {
    const line = resample(ink, (top + y) * width + left, 1, w, outW);
    rows.set(line, y * outW);
  }
  const box = new Float64Array(outH * outW);
  for (let x = 0; x < outW; x++) {
    const column = resample(rows, x, outW, h, outH);
    column.forEach((v, y) => (box[y * outW + x] = v));
  }

  // Centre of mass of the scaled box, then the shift that puts it at pixel (14, 14), where MNIST's
  // digits have theirs (test digits measure 13.8 to 14.4).
  let [mass, mx, my] = [0, 0, 0];
  box.forEach((v, i) => {
    mass += v;
    mx += v * (i % outW);
    my += v * Math.floor(i / outW);
  });
  const shift = (com: number, size: number) => Math.min(SIDE - size, Math.max(0, Math.round(SIDE / 2 - com)));
  const dx = shift(mx / mass, outW);
  const dy = shift(my / mass, outH);
  const image = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < outH; y++) for (let x = 0; x < outW; x++) image[(y + dy) * SIDE + x + dx] = Math.min(1, box[y * outW + x]!);
  return image;
}

/** `n` values from `start` every `stride`, averaged down (or spread up) to `m` values over equal areas. */
function resample(values: ArrayLike<number>, start: number, stride: number, n: number, m: number): Float64Array {
  const out = new Float64Array(m);
  const step = n / m;
  for (let j = 0; j < m; j++) {
    const from = j * step;
    const to = from + step;
    let sum = 0;
    for (let i = Math.floor(from); i < Math.min(n, Math.ceil(to)); i++) sum += values[start + i * stride]! * (Math.min(to, i + 1) - Math.max(from, i));
    out[j] = sum / step;
  }
  return out;
}
