import type * as ort from 'onnxruntime-common';
import type { OrtBackend } from './backend.js';
import { ModelLoadError } from './errors.js';
import { readModelInfo } from './metadata.js';
import { createModel } from './model.js';
import { openSessions } from './sessions.js';
import { threadOptions } from './threads.js';
import { readSource } from './source.js';
import type { LoadModel } from './types.js';

/**
 * `loadModel` on a backend; sessions run on its cpu provider unless `executionProviders` says
 * otherwise. On the CPU, without `intraOpNumThreads`, the thread count follows the work of
 * each run (sessions.ts).
 */
export function createLoadModel(backend: OrtBackend): LoadModel {
  return async (source, options = {}) => {
    const { bytes, label } = await readSource(source, backend.readFile);
    const info = readModelInfo(bytes, label);
    const executionProviders = options.executionProviders ?? [backend.cpuProvider];
    const open = async (threads: number | undefined): Promise<ort.InferenceSession> => {
      try {
        return await backend.InferenceSession.create(bytes, {
          executionProviders,
          ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : threads === undefined ? {} : threadOptions(threads)),
        });
      } catch (error) {
        throw new ModelLoadError(`onnxruntime cannot load ${label}: ${(error as Error).message}`, { cause: error });
      }
    };
    const onCpu = executionProviders.length === 1 && executionProviders[0] === backend.cpuProvider;
    const cores = onCpu && options.intraOpNumThreads === undefined ? backend.cores : undefined;
    return createModel(info, await openSessions(open, info.flopsPerRow, cores), backend.Tensor);
  };
}
