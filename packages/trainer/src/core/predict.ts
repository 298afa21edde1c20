import { exportInference, Model as GraphModel, type ModelLike, type ModelState, type SymbolicTensor } from '@onnxpipe/graph-builder';
import type { LoadModel, Model, OutputTensor, TensorLike } from '@onnxpipe/runtime';

export interface Predict {
  (model: SymbolicTensor, state: ModelState, inputs: Record<string, TensorLike>): Promise<OutputTensor>;
  (model: GraphModel, state: ModelState, inputs: Record<string, TensorLike>): Promise<Record<string, OutputTensor>>;
  (model: ModelLike, state: ModelState, inputs: Record<string, TensorLike>): Promise<OutputTensor | Record<string, OutputTensor>>;
  /** Close every cached session now (they are also closed when their model or state is garbage-collected). */
  release(): Promise<void>;
}

/**
 * `predict` on `loadModel`. The session of a (model, state) pair is cached, keyed weakly by
 * both objects: later calls with the same two objects reuse it. The state is read once, so
 * pass a new state object after changing parameters in place.
 */
export function createPredict(loadModel: LoadModel): Predict {
  let sessions = new WeakMap<ModelLike, WeakMap<ModelState, Promise<Model>>>();
  const open = new Set<Promise<Model>>();
  const close = (loaded: Promise<Model>) => {
    open.delete(loaded);
    return loaded.then((m) => m.close(), () => undefined);
  };
  const collected = new FinalizationRegistry<Promise<Model>>((loaded) => void close(loaded));

  const session = (model: ModelLike, state: ModelState): Promise<Model> => {
    let byState = sessions.get(model);
    if (!byState) sessions.set(model, (byState = new WeakMap()));
    let loaded = byState.get(state);
    if (!loaded) {
      const created: Promise<Model> = (async () => loadModel(exportInference(model, state)))();
      loaded = created;
      byState.set(state, created);
      open.add(created);
      created.catch(() => {
        byState.delete(state);
        open.delete(created);
      });
      collected.register(model, created);
      collected.register(state, created);
    }
    return loaded;
  };

  const predict = async (model: ModelLike, state: ModelState, inputs: Record<string, TensorLike>) => {
    const outputs = await (await session(model, state)).predict(inputs);
    return model instanceof GraphModel ? outputs : Object.values(outputs)[0]!;
  };
  return Object.assign(predict, {
    release: async () => {
      sessions = new WeakMap();
      await Promise.all([...open].map(close));
    },
  }) as Predict;
}
