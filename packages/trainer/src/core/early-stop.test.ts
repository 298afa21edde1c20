import { describe, expect, it } from 'vitest';
import { adam, type ModelState } from '@onnxpipe/graph-builder';
import { deserializeCheckpoint, earlyStop, saveCheckpoints, serializeCheckpoint, trainer, type Batch, type Checkpoint, type ProgressOutput, type TrainerOptions } from '../node.js';
import { Trainer } from './trainer.js';
import { backend } from '@onnxpipe/runtime';
import { xorBatches, xorModel } from '../testing/fixtures.js';

const source = xorBatches(8, 3);
const data: Batch[] = Array.from({ length: 3 }, () => source.next().value as Batch);

function maxDiff(a: ModelState, b: ModelState): number {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  let d = 0;
  for (const k of Object.keys(a)) a[k]!.data.forEach((v, i) => (d = Math.max(d, Math.abs(v - b[k]!.data[i]!))));
  return d;
}

/** A trainer whose metric 'score' takes the given value in each epoch, printing to `out`. */
function scored(scores: readonly number[], out?: ProgressOutput, options: TrainerOptions = {}): Trainer {
  let epoch = 0;
  return new Trainer({ backend, output: out }, xorModel(), 'binary_cross_entropy', adam({ learningRate: 0.05 }), { seed: 2, ...options })
    .on('epochStarted', (s) => void (epoch = s.epoch))
    .metric(() => scores[epoch]!, 'score');
}

function lines(): ProgressOutput & { lines: string[] } {
  const lines: string[] = [];
  return { lines, isTTY: false, write: (t) => void lines.push(...t.split('\n').filter((l) => l.startsWith('earlyStop'))) };
}

describe('earlyStop', () => {
  it('prints one line when it stops: the metric, its best value and epoch, the patience', async () => {
    const out = lines();
    const epochs: number[] = [];
    await scored([3, 1.5e-5, 2, 2], out)
      .handle(earlyStop({ monitor: 'score', patience: 2 }))
      .on('epochCompleted', (s) => void epochs.push(s.epoch))
      .run(data, {}, { epochs: 10 });
    expect(epochs).toEqual([0, 1, 2, 3]);
    expect(out.lines).toEqual(['earlyStop: stopped after epoch 4: score has not improved on 1.50e-5 (epoch 2) for 2 epochs (patience 2, mode min, minDelta 0)']);

    const silent = lines();
    await scored([3, 1, 2, 2], silent, { log: 0 }).handle(earlyStop({ monitor: 'score', patience: 2 })).run(data, {}, { epochs: 10 });
    expect(silent.lines).toEqual([]);
  });

  it('minDelta and mode max', async () => {
    const out = lines();
    await scored([0.5, 0.505, 0.509, 0.6], out).handle(earlyStop({ monitor: 'score', mode: 'max', minDelta: 0.01, patience: 2 })).run(data, {}, { epochs: 4 });
    expect(out.lines).toEqual(['earlyStop: stopped after epoch 3: score has not improved on 0.5000 (epoch 1) for 2 epochs (patience 2, mode max, minDelta 0.01)']);
  });

  describe('restoreBest', () => {
    /** Parameters and the checkpoint at the end of every epoch (recorded before earlyStop acts). */
    function recorded(t: Trainer) {
      const epochs: { params: ModelState; checkpoint: Checkpoint }[] = [];
      t.on('epochCompleted', async (s) => void epochs.push({ params: await s.params(), checkpoint: await s.checkpoint() }));
      return epochs;
    }

    for (const order of ['checkpoints before earlyStop', 'checkpoints after earlyStop'] as const) {
      it(`returns and checkpoints the best epoch's state when it stops (${order})`, async () => {
        const saved: Uint8Array[] = [];
        const save = saveCheckpoints({ save: (bytes) => void saved.push(bytes) });
        const stop = earlyStop({ monitor: 'score', patience: 3, restoreBest: true });
        const t = scored([3, 1, 2, 2, 2]);
        const epochs = recorded(t);
        const state = await (order === 'checkpoints before earlyStop' ? t.handle(save).handle(stop) : t.handle(stop).handle(save)).run(data, {}, { epochs: 10, stepsPerRun: 2 });

        expect(epochs).toHaveLength(5);
        expect(maxDiff(state, epochs[1]!.params)).toBe(0);
        expect(maxDiff(state, epochs[4]!.params)).toBeGreaterThan(0);
        const last = deserializeCheckpoint(saved.at(-1)!);
        expect(last).toMatchObject({ epoch: 2, step: 6 });
        expect(maxDiff(last.params, epochs[1]!.params)).toBe(0);
        expect(maxDiff(last.optimizer, epochs[1]!.checkpoint.optimizer)).toBe(0);

        // Resuming from it continues the best epoch's run: step 7 on, as an uninterrupted third epoch would.
        const steps: number[] = [];
        const resumed = await scored([0, 0, 0]).on('iterationCompleted', (s) => void steps.push(s.step)).run(data, last, { epochs: 1, stepsPerRun: 2 });
        expect(steps).toEqual([7, 8, 9]);
        expect(maxDiff(resumed, epochs[2]!.params)).toBe(0);
      });
    }

    it('after the last epoch when the run was not stopped; nothing when the last epoch is the best', async () => {
      const out = lines();
      const t = scored([3, 1, 2], out);
      const epochs = recorded(t);
      const state = await t.handle(earlyStop({ monitor: 'score', patience: 5, restoreBest: true })).run(data, {}, { epochs: 3 });
      expect(maxDiff(state, epochs[1]!.params)).toBe(0);
      expect(out.lines).toEqual(['earlyStop: score was best at epoch 2 (1.000); the state of epoch 2 is restored']);

      const falling = scored([3, 2, 1], lines());
      const fallingEpochs = recorded(falling);
      expect(maxDiff(await falling.handle(earlyStop({ monitor: 'score', restoreBest: true })).run(data, {}, { epochs: 3 }), fallingEpochs[2]!.params)).toBe(0);
    });

    it('fit returns the best state too (history keeps every epoch)', async () => {
      const x = { x1: [[0], [0], [1], [1]], x2: [[0], [1], [0], [1]] };
      const y = [[0], [1], [1], [0]];
      const t = scored([3, 1, 2, 2]);
      const epochs = recorded(t);
      const { state, history } = await t.handle(earlyStop({ monitor: 'score', patience: 2, restoreBest: true })).fit(x, y, { batchSize: 2, epochs: 10 });
      expect(history.score).toEqual([3, 1, 2, 2]);
      expect(maxDiff(state, epochs[1]!.params)).toBe(0);
    });
  });

  it('rejects bad options', () => {
    expect(() => earlyStop({ minDelta: -1 })).toThrow(/^earlyStop: minDelta must be a finite number ≥ 0, got -1$/);
    expect(() => earlyStop({ restoreBest: 'yes' as never })).toThrow(/^earlyStop: restoreBest must be true or false, got "yes"$/);
  });
});

describe('saveCheckpoints', () => {
  it('hands over the bytes of each checkpoint every N epochs', async () => {
    const saved: { bytes: Uint8Array; checkpoint: Checkpoint }[] = [];
    await scored([1, 1, 1, 1]).handle(saveCheckpoints({ every: 2, save: (bytes, checkpoint) => void saved.push({ bytes, checkpoint }) })).run(data, {}, { epochs: 4 });
    expect(saved.map((s) => s.checkpoint.epoch)).toEqual([2, 4]);
    for (const s of saved) expect(deserializeCheckpoint(s.bytes)).toEqual(s.checkpoint);
  });

  it('rejects bad options', () => {
    expect(() => saveCheckpoints({ save: 'file.json' as never })).toThrow(/^saveCheckpoints: save must be a function of the checkpoint bytes$/);
    expect(() => saveCheckpoints({ save: () => {}, every: 0 })).toThrow(/^saveCheckpoints: every must be a positive integer, got 0$/);
  });
});

describe('checkpoint bytes', () => {
  it('round-trip exactly; other bytes are refused with a reason', async () => {
    let checkpoint: Checkpoint | undefined;
    await trainer(xorModel(), 'binary_cross_entropy', 'adam', { log: 0 }).on('completed', async (s) => void (checkpoint = await s.checkpoint())).run(data);
    const back = deserializeCheckpoint(serializeCheckpoint(checkpoint!).slice().buffer);
    expect(back).toEqual(checkpoint);
    expect(Object.values(back.params)[0]!.data).toBeInstanceOf(Float32Array);
    expect(() => deserializeCheckpoint(Uint8Array.of(0xff, 0xfe), 'upload.bin')).toThrow(/^upload\.bin: not a JSON checkpoint \(the bytes are not UTF-8 text\)$/);
    expect(() => deserializeCheckpoint(new TextEncoder().encode('{"format":"x"}'))).toThrow(/^checkpoint: not an onnxpipe checkpoint/);
    expect(() => deserializeCheckpoint('{}' as never)).toThrow(/^checkpoint: expected the bytes of a checkpoint \(Uint8Array or ArrayBuffer\), got string$/);
  });
});
