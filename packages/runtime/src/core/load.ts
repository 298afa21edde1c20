import type * as ort from 'onnxruntime-common';
import type { OrtBackend } from './backend.js';
import { ModelLoadError } from './errors.js';
import { readModelInfo } from './metadata.js';
import { createModel } from './model.js';
import { readSource } from './source.js';
import type { LoadModel } from './types.js';

/** `loadModel` on a backend; sessions run on its cpu provider unless `executionProviders` says otherwise. */
export function createLoadModel(backend: OrtBackend): LoadModel {
  return async (source, options = {}) => {
    const { bytes, label } = await readSource(source, backend.readFile);
    const info = readModelInfo(bytes, label);
    let session: ort.InferenceSession;
    try {
      session = await backend.InferenceSession.create(bytes, {
        executionProviders: options.executionProviders ?? [backend.cpuProvider],
        ...(options.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: options.intraOpNumThreads }),
      });
    } catch (error) {
      throw new ModelLoadError(`onnxruntime cannot load ${label}: ${(error as Error).message}`, { cause: error });
    }
    return createModel(info, session, backend.Tensor);
  };
}
