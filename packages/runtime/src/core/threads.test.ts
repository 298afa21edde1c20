import type { InferenceSession } from 'onnxruntime-common';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { affineModel, encodeModel } from '../testing/handmade-model.js';
import { flopsPerRow } from './cost.js';
import { openSessions } from './sessions.js';
import { chooseThreads, MULTI_THREAD_FLOPS, threadOptions } from './threads.js';

describe('chooseThreads', () => {
  it('one thread for a small run, every core for a large one', () => {
    expect(chooseThreads(6e3, 16)).toBe(1); // the XOR train step
    expect(chooseThreads(MULTI_THREAD_FLOPS - 1, 16)).toBe(1);
    expect(chooseThreads(MULTI_THREAD_FLOPS, 16)).toBe(16);
    expect(chooseThreads(5e8, 2)).toBe(2); // the benchmark's MLP step
    expect(chooseThreads(5e8, 1)).toBe(1);
  });

  it('refuses a core count below 1', () => {
    expect(() => chooseThreads(1e9, 0)).toThrow(/^chooseThreads: cores must be ≥ 1, got 0$/);
  });

  it('several threads do not spin between kernels; one thread is just that', () => {
    expect(threadOptions(1)).toEqual({ intraOpNumThreads: 1 });
    expect(threadOptions(8)).toEqual({ intraOpNumThreads: 8, extra: { session: { intra_op: { allow_spinning: '0' } } } });
  });
});

describe('flopsPerRow: the estimate the thread count is chosen from', () => {
  const { onnx } = onnxProto;
  it('2 per stored weight of MatMul and Gemm', () => {
    const graph = onnx.ModelProto.decode(affineModel()).graph!;
    expect(flopsPerRow(graph)).toBe(2 * (2 * 2 + 3 * 2));
  });

  it('2 per weight and position of a Conv, at the size of the largest spatial input', () => {
    const conv = encodeModel({
      inputs: [{ name: 'x', shape: ['N', 3, 8, 8] }],
      outputs: [{ name: 'y', shape: ['N', 4, 8, 8] }],
      nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'] }],
      initializers: [{ name: 'w', dims: [4, 3, 3, 3], values: new Array(108).fill(0) }],
    });
    expect(flopsPerRow(onnx.ModelProto.decode(conv).graph!)).toBe(2 * 108 * 64);
  });
});

/** A fake `open` that records the thread counts asked for. */
function recorder() {
  const opened: (number | undefined)[] = [];
  const released: (number | undefined)[] = [];
  const open = async (threads: number | undefined) => {
    opened.push(threads);
    return { release: async () => void released.push(threads) } as unknown as InferenceSession;
  };
  return { open, opened, released };
}

describe('openSessions', () => {
  const small = 200; // FLOPs per row of a tiny model

  it('a small model: one thread for single rows; every core, opened once, for a batch that is large enough', async () => {
    const r = recorder();
    const sessions = await openSessions(r.open, small, 4);
    expect(r.opened).toEqual([1]);
    const one = await sessions.forRows(1);
    expect(await sessions.forRows(Math.ceil(MULTI_THREAD_FLOPS / small) - 1)).toBe(one);
    const big = await sessions.forRows(Math.ceil(MULTI_THREAD_FLOPS / small));
    expect(big).not.toBe(one);
    expect(await sessions.forRows(1e6)).toBe(big);
    expect(r.opened).toEqual([1, 4]);
    await sessions.release();
    expect(r.released.sort()).toEqual([1, 4]);
  });

  it('a model whose single rows are large: every core, one session', async () => {
    const r = recorder();
    const sessions = await openSessions(r.open, MULTI_THREAD_FLOPS, 4);
    expect(await sessions.forRows(1)).toBe(await sessions.forRows(4096));
    expect(r.opened).toEqual([4]);
  });

  it("without a core count (onnxruntime-web): one session with onnxruntime's default", async () => {
    const r = recorder();
    const sessions = await openSessions(r.open, MULTI_THREAD_FLOPS * 10, undefined);
    await sessions.forRows(4096);
    expect(r.opened).toEqual([undefined]);
  });
});
