import type { InferenceSession } from 'onnxruntime-common';

/**
 * FLOPs of a run (a forward pass, or one train step: the threads split each node's work, and
 * the steps of a fused run follow one another) from which a CPU session gets every core. Below
 * it one thread is faster: small kernels cost what onnxruntime charges per node, and worker
 * threads add the cost of waking and joining them to every node without taking enough work off
 * the caller (the XOR train step, ~6 kFLOP, runs 2.2x slower on two threads than on one); a
 * dense layer of 512 × 512 on a batch of 128 (67 MFLOP) is worth splitting.
 */
export const MULTI_THREAD_FLOPS = 32e6;

/** Intra-op threads for a run (or step) of `flops`: 1 for small ones, `cores` for large ones. */
export function chooseThreads(flops: number, cores: number): number {
  if (!(cores >= 1)) throw new Error(`chooseThreads: cores must be ≥ 1, got ${cores}`);
  return flops >= MULTI_THREAD_FLOPS ? Math.floor(cores) : 1;
}

/**
 * The session options for `threads` intra-op threads. Several threads do not spin while they
 * wait for work: spinning workers take the cores from the JavaScript thread that prepares the
 * next run, and from every other process on a shared machine.
 */
export function threadOptions(threads: number): InferenceSession.SessionOptions {
  return threads > 1 ? { intraOpNumThreads: threads, extra: { session: { intra_op: { allow_spinning: '0' } } } } : { intraOpNumThreads: threads };
}
