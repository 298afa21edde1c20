/**
 * The XOR page: loads models/xor.onnx (written by `pnpm xor`), shows its truth table and its
 * output over [0, 1]², and trains the same model from scratch in the page on request, on wasm or,
 * when picked, WebGPU.
 */
import { exportInference, sgd, type ModelLike, type ModelState } from '@onnxpipe/graph-builder';
import type { Batch } from '@onnxpipe/trainer';
import { xorBatches, xorModel } from '../models/xor.js';
import { backendSwitch, markFirstPredictions, type PageBackend, type Predictor } from './backend.js';

const OUTPUT = 'dense_1';
const GRID = 64;
const EPOCHS = 20;
const ITERATIONS = 25;
const LEARNING_RATE = 0.5;

const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const statusText = byId('status');
const sourceText = byId('source');
const trainButton = byId<HTMLButtonElement>('train');
const epochText = byId('epoch');
const lossText = byId('loss');
const lossHistory = byId<HTMLOListElement>('loss-history');
const canvas = byId<HTMLCanvasElement>('heatmap');
const colorbar = byId<HTMLCanvasElement>('colorbar');
const backendSelect = byId<HTMLSelectElement>('backend');
const rows = [...byId('truth-table').querySelectorAll<HTMLTableRowElement>('tbody tr')];

type PageState = 'loading' | 'ready' | 'training' | 'trained' | 'error';

function setStatus(state: PageState, message: string): void {
  statusText.dataset.state = state;
  statusText.textContent = message;
}

/** Feeds for x1 and x2 as [n, 1] columns. */
function columns(x1: number[] | Float32Array, x2: number[] | Float32Array) {
  return { x1: { data: Float32Array.from(x1), dims: [x1.length, 1] }, x2: { data: Float32Array.from(x2), dims: [x2.length, 1] } };
}

const table = columns(
  rows.map((r) => Number(r.dataset.x1)),
  rows.map((r) => Number(r.dataset.x2)),
);

// Pixel (column c, row r) of the heatmap: x1 = c / 63 left to right, x2 = 1 - r / 63 bottom to top.
const grid = columns(
  Float32Array.from({ length: GRID * GRID }, (_, i) => (i % GRID) / (GRID - 1)),
  Float32Array.from({ length: GRID * GRID }, (_, i) => 1 - Math.floor(i / GRID) / (GRID - 1)),
);

/** Blue (0) → white (0.5) → orange (1). */
function color(p: number): [number, number, number] {
  const blue = [33, 102, 172];
  const orange = [230, 97, 1];
  const [end, t] = p < 0.5 ? [blue, 1 - 2 * p] : [orange, 2 * p - 1];
  return end.map((c) => Math.round(255 + (c - 255) * t)) as [number, number, number];
}

/**
 * Tick labels along an axis: `value` sits at the centre of its heatmap pixel, (63 v + 0.5) / 64
 * of the way along (from the left, or from the bottom when `vertical`).
 */
function ticks(container: HTMLElement, values: readonly number[], vertical: boolean, cells = GRID): void {
  container.replaceChildren(
    ...values.map((v) => {
      const tick = document.createElement('span');
      const at = (100 * (v * (cells - 1) + 0.5)) / cells;
      if (vertical) tick.style.top = `${100 - at}%`;
      else tick.style.left = `${at}%`;
      tick.textContent = String(v);
      tick.dataset.value = String(v);
      return tick;
    }),
  );
}

function drawAxes(): void {
  ticks(byId('x-ticks'), [0, 0.25, 0.5, 0.75, 1], false);
  ticks(byId('y-ticks'), [0, 0.25, 0.5, 0.75, 1], true);
  ticks(byId('colorbar-ticks'), [0, 0.5, 1], true, colorbar.height);
  const bar = new ImageData(1, colorbar.height);
  for (let r = 0; r < colorbar.height; r++) bar.data.set([...color(1 - r / (colorbar.height - 1)), 255], 4 * r);
  colorbar.getContext('2d')!.putImageData(bar, 0, 0);
}

/** Runs the model on the truth table and on the grid (one 4096-row batch), and draws both. */
async function show(model: Predictor): Promise<void> {
  const outTable = (await model.predict(table))[OUTPUT]!;
  rows.forEach((row, i) => {
    const p = outTable[i]!;
    row.dataset.prediction = String(p);
    row.dataset.correct = String(Number(p >= 0.5) === Number(row.dataset.target));
    row.querySelector('.prediction')!.textContent = p.toFixed(4);
  });

  const outGrid = (await model.predict(grid))[OUTPUT]!;
  const image = new ImageData(GRID, GRID);
  outGrid.forEach((p, i) => {
    image.data.set([...color(p), 255], 4 * i);
  });
  canvas.getContext('2d')!.putImageData(image, 0, 0);
}

async function showParams(model: ModelLike, params: ModelState): Promise<void> {
  const loaded = await backend.load(exportInference(model, params));
  try {
    await show(loaded);
  } finally {
    await loaded.close();
  }
}

/** Resolves after the browser has painted what changed (training pauses while the tab is hidden). */
const afterPaint = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

async function loadSaved(): Promise<void> {
  const url = `${import.meta.env.BASE_URL}models/xor.onnx`;
  try {
    const model = await backend.load(url);
    try {
      await show(model);
    } finally {
      await model.close();
    }
    markFirstPredictions(statusText);
    sourceText.textContent = 'models/xor.onnx';
    setStatus('ready', `Loaded models/xor.onnx on ${backend.name}.`);
  } catch (error) {
    setStatus('error', `Cannot show models/xor.onnx: ${(error as Error).message}. Run \`pnpm xor\` to write it; training below still works.`);
    console.error(error);
  }
}

let runs = 0;

async function train(): Promise<void> {
  const seed = ++runs;
  trainButton.disabled = true;
  lossHistory.replaceChildren();
  setStatus('training', `Training from scratch (seed ${seed})…`);
  const started = performance.now();

  const model = xorModel();
  try {
    await backend
      .trainer(model, 'binary_cross_entropy', sgd({ learningRate: LEARNING_RATE }), { seed, log: 0 })
      .on('iterationCompleted', (s) => {
        lossText.textContent = `loss ${s.metrics.loss!.toFixed(4)}`;
      })
      .on('epochCompleted', async (s) => {
        const loss = s.metrics.loss!;
        epochText.textContent = `epoch ${s.epoch + 1}/${s.epochs}`;
        lossText.textContent = `loss ${loss.toFixed(4)}`;
        lossText.dataset.loss = String(loss);
        const item = lossHistory.appendChild(document.createElement('li'));
        item.dataset.loss = String(loss);
        item.textContent = loss.toFixed(4);
        sourceText.textContent = `trained in this page, epoch ${s.epoch + 1}/${s.epochs}`;
        await showParams(model, await s.params());
        await afterPaint();
      })
      .run(xorBatches(32, seed) as Iterable<Batch>, {}, { epochs: EPOCHS, iterations: ITERATIONS });
    setStatus('trained', `Trained ${EPOCHS * ITERATIONS} steps on ${backend.name} in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  } catch (error) {
    setStatus('error', `Training failed: ${(error as Error).message}`);
    console.error(error);
  } finally {
    trainButton.disabled = false;
    backendSelect.disabled = false;
  }
}

let backend: PageBackend;
const useBackend = backendSwitch(backendSelect, statusText, async (chosen) => {
  backend = chosen;
  await loadSaved();
});

drawAxes();
trainButton.addEventListener('click', () => {
  backendSelect.disabled = true;
  void train();
});
await useBackend('wasm');
trainButton.disabled = false;
