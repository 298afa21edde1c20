/** The most optimizer steps one run fuses by default: the XOR guide's step is ~10 µs, and 128 steps bring onnxruntime's per-run cost (~15-30 µs) to ~2% of it. */
export const MAX_STEPS_PER_RUN = 128;

/**
 * By default, the stacked batches of one run (data inputs and targets) take at most this many
 * bytes: each batch is copied into the stack as it arrives, and the stack is kept for the next run;
 * steps big enough to fill it gain nothing from more fusing (the MLP's 8 ms step amortises a
 * ~2 ms run cost to 3% at K = 8 already).
 */
export const STACKED_BYTES_PER_RUN = 32 * 2 ** 20;

/** The default steps per run for batches of `bytesPerStep`: the largest power of two up to MAX_STEPS_PER_RUN whose stack fits STACKED_BYTES_PER_RUN, at least 1. */
export function chooseStepsPerRun(bytesPerStep: number): number {
  if (!(bytesPerStep > 0)) throw new Error(`chooseStepsPerRun: bytesPerStep must be positive, got ${bytesPerStep}`);
  let k = MAX_STEPS_PER_RUN;
  while (k > 1 && k * bytesPerStep > STACKED_BYTES_PER_RUN) k /= 2;
  return k;
}
