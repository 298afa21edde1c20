import type { InferenceSession } from 'onnxruntime-common';
import { chooseThreads } from './threads.js';

/** The sessions of one model: the one a run of `rows` rows goes to (a promise while it opens). */
export interface Sessions {
  forRows(rows: number): InferenceSession | Promise<InferenceSession>;
  release(): Promise<void>;
}

/** Opens a session with `threads` intra-op threads (undefined: onnxruntime's default). */
export type OpenSession = (threads: number | undefined) => Promise<InferenceSession>;

/**
 * Without `cores`, one session with onnxruntime's defaults. With them, a session of one
 * thread for runs below MULTI_THREAD_FLOPS (single rows of a small model) and one of every
 * core, opened when the first large run (a big batch) comes, for the others; a model whose
 * single rows are already large gets only the second.
 */
export async function openSessions(open: OpenSession, flopsPerRow: number, cores: number | undefined): Promise<Sessions> {
  if (cores === undefined) {
    const only = await open(undefined);
    return { forRows: () => only, release: () => only.release() };
  }
  const all = chooseThreads(Infinity, cores);
  const forOneRow = chooseThreads(flopsPerRow, cores);
  const first = await open(forOneRow);
  if (forOneRow === all) return { forRows: () => first, release: () => first.release() };
  let large: Promise<InferenceSession> | undefined;
  return {
    forRows: (rows) => (chooseThreads(rows * flopsPerRow, cores) === forOneRow ? first : (large ??= open(all))),
    release: async () => {
      await first.release();
      const opened = await large?.catch(() => undefined);
      await opened?.release();
    },
  };
}
