import { describe, expect, it } from 'vitest';
import { formatValue, progressLog, trainer, type Batch, type ProgressOutput } from '../node.js';
import { xorBatches, xorModel } from '../testing/fixtures.js';

const batches = (count: number, seed: number): Batch[] => {
  const source = xorBatches(4, seed);
  return Array.from({ length: count }, () => source.next().value as Batch);
};

function fakeOutput(isTTY: boolean, columns?: number): ProgressOutput & { text: string } {
  return {
    text: '',
    isTTY,
    ...(columns === undefined ? {} : { columns }),
    write(t: string) {
      this.text += t;
    },
  };
}

/** What a terminal shows: the rows each line takes once `\r` redraws and `\x1b[K` clears are applied. */
function terminalRows(text: string, columns: number): { lines: string[]; wrapped: number } {
  const lines: string[] = [];
  let wrapped = 0;
  for (const line of text.replaceAll('\x1b[K', '').split('\n')) {
    for (const drawn of line.split('\r')) if (drawn.length >= columns) wrapped++;
    lines.push(line.split('\r').at(-1)!);
  }
  return { lines, wrapped };
}

describe('formatValue', () => {
  const cases: [number, string][] = [
    [0.0000123, '1.23e-5'],
    [0.000999, '9.99e-4'],
    [0.001, '0.001000'],
    [0.04492, '0.04492'],
    [0.69314718, '0.6931'],
    [1, '1.000'],
    [-0.5, '-0.5000'],
    [123.456, '123.5'],
    [1234.4, '1234'],
    [9999.6, '1.00e4'],
    [123456, '1.23e5'],
    [0, '0'],
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
  ];
  for (const [value, text] of cases) it(`${value} → ${text}`, () => expect(formatValue(value)).toBe(text));
});

describe('progress on a terminal', () => {
  it('at 80 columns: no line wraps, one line per epoch stays (10 epochs, long metric names)', async () => {
    const out = fakeOutput(true, 80);
    const data = batches(8, 1);
    await trainer(xorModel(), 'binary_cross_entropy', 'adam', { seed: 1, log: 0 })
      .metric('accuracy')
      .metric('mean_squared_error')
      .validate(data.slice(0, 2))
      .handle(progressLog(out, { refreshMs: 0 }))
      .run(data, {}, { epochs: 10, iterations: 8, stepsPerRun: 2 });
    const { lines, wrapped } = terminalRows(out.text, 80);
    expect(wrapped).toBe(0);
    expect(lines.filter((l) => l !== '')).toHaveLength(10);
    lines.slice(0, 10).forEach((l, i) => expect(l).toMatch(new RegExp(`^Epoch: ${i + 1}/10 .*8/8 .*loss: `)));
  });

  it('shows steps/s and the ETA, and the epoch time at its end', async () => {
    const out = fakeOutput(true, 120);
    let time = 1000;
    await trainer(xorModel(), 'binary_cross_entropy', 'sgd', { seed: 1, log: 0 })
      .on('iterationCompleted', () => void (time += 50))
      .handle(progressLog(out, { refreshMs: 0, now: () => time }))
      .run(batches(4, 2), {}, { epochs: 1, iterations: 4, stepsPerRun: 1 });
    const draws = out.text.split('\r').filter((d) => d !== '');
    expect(draws).toHaveLength(5);
    // 50 ms per step: 20 steps/s; after step 1 of 4, 3 steps remain, 150 ms.
    expect(draws[0]).toMatch(/^Epoch: 1\/1 \[[=> ]{30}\] 1\/4 20\.0 steps\/s ETA 150 ms loss: \d\.\d{4}\x1b\[K$/);
    expect(draws[2]).toMatch(/ 3\/4 20\.0 steps\/s ETA 50 ms /);
    expect(draws[4]).toMatch(/^Epoch: 1\/1 \[={30}\] 4\/4 20\.0 steps\/s 200 ms loss: \d\.\d{4}\x1b\[K\n$/);
  });

  it('on a narrow terminal drops the bar, then metrics, then speed and ETA, keeping epoch, batch and loss', async () => {
    const drawn: Record<number, string[]> = {};
    for (const columns of [60, 40, 30]) {
      const out = fakeOutput(true, columns);
      let time = 0;
      await trainer(xorModel(), 'binary_cross_entropy', 'sgd', { seed: 1, log: 0 })
        .metric('accuracy')
        .on('iterationCompleted', () => void (time += 50))
        .handle(progressLog(out, { refreshMs: 0, now: () => time }))
        .run(batches(4, 3), {}, { epochs: 2, iterations: 4 });
      const { lines, wrapped } = terminalRows(out.text, columns);
      expect(wrapped).toBe(0);
      drawn[columns] = lines;
    }
    expect(drawn[60]![0]).toMatch(/^Epoch: 1\/2 4\/4 20\.0 steps\/s 200 ms loss: \S+$/);
    expect(drawn[40]![0]).toMatch(/^Epoch: 1\/2 4\/4 200 ms loss: \S+$/);
    expect(drawn[30]![0]).toMatch(/^Epoch: 1\/2 4\/4 loss: \S+$/);
  });
});

describe('progress off a terminal', () => {
  it('one line per epoch with its time', async () => {
    const out = fakeOutput(false);
    let time = 0;
    await trainer(xorModel(), 'binary_cross_entropy', 'sgd', { seed: 1, log: 0 })
      .on('iterationCompleted', () => void (time += 250))
      .handle(progressLog(out, { now: () => time }))
      .run(batches(4, 4), {}, { epochs: 2 });
    expect(out.text).toMatch(/^Epoch: 1\/2, Batch: 4 \(1\.00 s\) loss: \d\.\d{4}\nEpoch: 2\/2, Batch: 4 \(1\.00 s\) loss: \d\.\d{4}\n$/);
  });
});
