/**
 * A loss or metric for people: four significant digits (`0.04492`, `1.000`, `123.5`), in
 * exponent form below 1e-3 and from 1e4 on (`1.23e-5`, `1.23e4`), so small values never
 * print as zeros.
 */
export function formatValue(value: number): string {
  if (!Number.isFinite(value) || value === 0) return String(value);
  const fixed = value.toPrecision(4);
  if (Math.abs(value) >= 1e-3 && !fixed.includes('e')) return fixed;
  return value.toExponential(2).replace('e+', 'e');
}

/** A duration for progress lines: `4 ms`, `1.42 s`, `12.3 s`, `4:05`, `1:02:03`. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const total = Math.round(seconds);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}
