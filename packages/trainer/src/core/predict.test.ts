import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { initParams, input, model, type ModelState } from '@onnxpipe/graph-builder';
import { loadModel, type LoadModel, type Model } from '@onnxpipe/runtime';
import { createPredict } from './predict.js';
import { xorModel } from '../testing/fixtures.js';


/** loadModel, counting the sessions it opens and those closed. */
function countingLoad() {
  const counts = { opened: 0, closed: 0 };
  const load: LoadModel = async (source, options) => {
    const m = await loadModel(source, options);
    counts.opened++;
    const close = m.close;
    return { ...m, close: async () => void (counts.closed++, await close()) } satisfies Model;
  };
  return { load, counts };
}

const inputs = { x1: [[0], [1]], x2: [[1], [1]] };

describe('predict', () => {
  it('reuses the session for the same model and state; a new state object gets its own', async () => {
    const { load, counts } = countingLoad();
    const predict = createPredict(load);
    const m = xorModel();
    const state = initParams(m, { seed: 1 });
    const first = await predict(m, state, inputs);
    const second = await predict(m, state, { x1: [[1]], x2: [[0]] });
    expect(counts.opened).toBe(1);
    expect(second.dims).toEqual([1, 1]);
    const [again] = await Promise.all([predict(m, state, inputs), predict(m, state, inputs)]);
    expect(counts.opened).toBe(1);
    expect(again.data).toEqual(first.data);

    const changed: ModelState = { ...state, 'dense_1.bias': { data: Float32Array.of(5), dims: [1] } };
    const shifted = await predict(m, changed, inputs);
    expect(counts.opened).toBe(2);
    expect(shifted.data[0]).toBeGreaterThan(first.data[0] as number);

    await predict.release();
    expect(counts.closed).toBe(2);
    await predict(m, state, inputs);
    expect(counts.opened).toBe(3);
    await predict.release();
  });

  it('a model([…]) gives a record; a failed load is not cached', async () => {
    const { load, counts } = countingLoad();
    const predict = createPredict(load);
    const a = input('a', { shape: [null, 2] });
    const m = model({ first: a.dense(1), second: a.dense(3) });
    const out = await predict(m, initParams(m, { seed: 2 }), { a: [[1, 2]] });
    expect(Object.keys(out)).toEqual(['first', 'second']);

    const bad: ModelState = { ...initParams(m, { seed: 2 }), 'dense_0.kernel': { data: new Float32Array(3), dims: [3, 1] } };
    await expect(predict(m, bad, { a: [[1, 2]] })).rejects.toThrow(/dense_0\.kernel/);
    await expect(predict(m, bad, { a: [[1, 2]] })).rejects.toThrow(/dense_0\.kernel/);
    expect(counts.opened).toBe(1);
    await predict.release();
    expect(counts.closed).toBe(1);
  });

  it('closes a cached session once its state object is garbage-collected', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const { load, counts } = countingLoad();
    const predict = createPredict(load);
    const m = xorModel();
    await (async () => {
      const state = initParams(m, { seed: 3 });
      await predict(m, state, inputs);
    })();
    expect(counts).toEqual({ opened: 1, closed: 0 });
    for (let i = 0; i < 50 && counts.closed === 0; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(counts.closed).toBe(1);
  });
});
