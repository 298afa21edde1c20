import onnxProto from 'onnx-proto';
import type { InferenceSession } from 'onnxruntime-common';
import { describe, expect, it } from 'vitest';
import { backend } from '@onnxpipe/runtime';
import { input, sgd, type SymbolicTensor } from '@onnxpipe/graph-builder';
import { chooseStepsPerRun, MAX_STEPS_PER_RUN, STACKED_BYTES_PER_RUN, Trainer, type Batch } from '../node.js';

describe('chooseStepsPerRun', () => {
  it('128 for small batches, fewer as the stacked batches of a run would pass 32 MiB, at least 1', () => {
    expect(MAX_STEPS_PER_RUN).toBe(128);
    expect(chooseStepsPerRun(32 * 3 * 4)).toBe(128); // the XOR guide: 32 rows of x1, x2, target
    expect(chooseStepsPerRun(STACKED_BYTES_PER_RUN / 128)).toBe(128);
    expect(chooseStepsPerRun(STACKED_BYTES_PER_RUN / 128 + 1)).toBe(64);
    expect(chooseStepsPerRun(128 * (784 + 10) * 4)).toBe(64); // the benchmark's MLP
    expect(chooseStepsPerRun(STACKED_BYTES_PER_RUN)).toBe(1);
    expect(chooseStepsPerRun(10 * STACKED_BYTES_PER_RUN)).toBe(1);
  });

  it('refuses a size that is not positive', () => {
    expect(() => chooseStepsPerRun(0)).toThrow(/^chooseStepsPerRun: bytesPerStep must be positive, got 0$/);
  });
});

/** A trainer on onnxruntime-node with `cores`, recording each session's options, model outputs and runs. */
function recordingTrainer(m: SymbolicTensor, cores: number, options: ConstructorParameters<typeof Trainer>[4] = {}) {
  const sessions: { options: InferenceSession.SessionOptions; outputs: string[]; runs: number }[] = [];
  const create = async (bytes: Uint8Array, sessionOptions?: InferenceSession.SessionOptions) => {
    const session = await backend.InferenceSession.create(bytes, sessionOptions);
    const record = { options: sessionOptions!, outputs: onnxProto.onnx.ModelProto.decode(bytes).graph!.output!.map((o) => o.name!), runs: 0 };
    sessions.push(record);
    const run = session.run.bind(session);
    return Object.assign(session, { run: (...args: Parameters<typeof run>) => (record.runs++, run(...args)) }) as InferenceSession;
  };
  const t = new Trainer({ backend: { ...backend, cores, InferenceSession: { create } }, output: undefined }, m, 'mean_squared_error', sgd(), { log: 0, ...options });
  return { t, sessions };
}

const zeros = (rows: number, width: number) => ({ data: new Float32Array(rows * width), dims: [rows, width] });
const batches = (count: number, rows: number, width: number, units: number): Batch[] => Array.from({ length: count }, () => [{ x: zeros(rows, width) }, zeros(rows, units)]);
const threadsOf = (o: InferenceSession.SessionOptions) => ({ intraOpNumThreads: o.intraOpNumThreads, extra: o.extra });

describe("the trainer's defaults follow the work of a step", () => {
  it('a small step: one thread, 128 steps per run (at most the iterations), no predictions without a metric', async () => {
    const { t, sessions } = recordingTrainer(input('x', { shape: [null, 2] }).dense(8, { activation: 'tanh' }).dense(1), 4);
    await t.run(batches(300, 32, 2, 1), {}, { iterations: 300 });
    expect(sessions).toHaveLength(1);
    expect(threadsOf(sessions[0]!.options)).toEqual({ intraOpNumThreads: 1, extra: undefined });
    expect(sessions[0]!.runs).toBe(3); // 128 + 128 + 44
    expect(sessions[0]!.outputs).not.toContain('dense_1');
    const few = recordingTrainer(input('x', { shape: [null, 2] }).dense(1), 4);
    await few.t.metric('mean_absolute_error').run(batches(5, 32, 2, 1), {}, { iterations: 5 });
    expect(few.sessions[0]!.runs).toBe(1);
    expect(few.sessions[0]!.outputs).toContain('dense_0');
  });

  it('a large step (~140 MFLOP): every core, not spinning; big batches fuse fewer steps per run', async () => {
    const { t, sessions } = recordingTrainer(input('x', { shape: [null, 1024] }).dense(512).dense(10), 4);
    // 256 rows of 1024 + 10 floats: just over 1 MiB a step, so 16 steps fit in 32 MiB and 32 do not
    await t.run(batches(40, 256, 1024, 10), {}, { iterations: 40 });
    expect(threadsOf(sessions[0]!.options)).toEqual({ intraOpNumThreads: 4, extra: { session: { intra_op: { allow_spinning: '0' } } } });
    expect(sessions[0]!.runs).toBe(3); // 16 + 16 + 8
  });

  it('intraOpNumThreads and stepsPerRun given are taken as they are', async () => {
    const { t, sessions } = recordingTrainer(input('x', { shape: [null, 1024] }).dense(512).dense(10), 4, { intraOpNumThreads: 3 });
    await t.run(batches(6, 256, 1024, 10), {}, { iterations: 6, stepsPerRun: 5 });
    expect(threadsOf(sessions[0]!.options)).toEqual({ intraOpNumThreads: 3, extra: undefined });
    expect(sessions[0]!.runs).toBe(2);
  });
});
