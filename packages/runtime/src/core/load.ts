import type * as ort from 'onnxruntime-common';
import { ModelLoadError } from './errors.js';
import { readModelInfo } from './metadata.js';
import { createModel, type TensorConstructor } from './model.js';
import { readSource, type ReadFile } from './source.js';
import type { LoadModel } from './types.js';

/** What a platform entry binds: an onnxruntime flavour, its default execution providers and, in Node, file reading. */
export interface Backend {
  InferenceSession: Pick<typeof ort.InferenceSession, 'create'>;
  Tensor: TensorConstructor;
  executionProviders: string[];
  readFile?: ReadFile;
}

export function createLoadModel(backend: Backend): LoadModel {
  return async (source, options = {}) => {
    const { bytes, label } = await readSource(source, backend.readFile);
    const info = readModelInfo(bytes, label);
    let session: ort.InferenceSession;
    try {
      session = await backend.InferenceSession.create(bytes, {
        executionProviders: options.executionProviders ?? backend.executionProviders,
        ...(options.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: options.intraOpNumThreads }),
      });
    } catch (error) {
      throw new ModelLoadError(`onnxruntime cannot load ${label}: ${(error as Error).message}`, { cause: error });
    }
    return createModel(info, session, backend.Tensor);
  };
}
