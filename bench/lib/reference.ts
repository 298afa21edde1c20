/**
 * The correctness gates' reference: the hand-written loop (plain.ts) with float64 parameters
 * and optimizer state, independent of onnxpipe, TF.js and onnxruntime. It runs in a child
 * process (reference-run.ts), so that the timed float32 loop's JIT never sees Float64Array
 * parameters in this one.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Reference } from './harness.js';
import type { Workload } from './workloads.js';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./reference-run.ts', import.meta.url));

/** The float64 hand-written loop on `w`'s data, at each step count asked for (cached). */
export function float64Reference(w: Workload): Reference {
  const cache = new Map<number, Promise<{ losses: Float64Array; evalLoss: number }>>();
  return {
    label: 'hand-written loop in float64 (parameters, optimizer state, activations), run untimed in a child process',
    at: (steps) => {
      let result = cache.get(steps);
      if (!result) {
        result = run(process.execPath, [...process.execArgv, child, w.name, String(w.steps), String(steps)], { maxBuffer: 64 * 2 ** 20 }).then(({ stdout }) => {
          const { losses, evalLoss } = JSON.parse(stdout) as { losses: number[]; evalLoss: number };
          return { losses: Float64Array.from(losses), evalLoss };
        });
        cache.set(steps, result);
      }
      return result;
    },
  };
}
