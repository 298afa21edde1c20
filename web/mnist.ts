/**
 * The MNIST page: draw a digit and see models/mnist.onnx's probabilities live; train a network
 * from scratch in the page on a subset of MNIST, with a live loss/accuracy chart.
 */
import { adamw, exportInference, type ModelState } from '@onnxpipe/graph-builder';
import type { Batch } from '@onnxpipe/trainer';
import { mnistBatches } from '../models/mnist/batches.js';
import { mnistSet, type MnistSet } from '../models/mnist/idx.js';
import { CLASSES, IMAGE_SHAPE, INPUT, isMnistModelName, mnistModels, OUTPUT } from '../models/mnist/model.js';
import { backendSwitch, type PageBackend, type Predictor } from './backend.js';
import { drawChart, type Series } from './chart.js';
import { mnistImage, SIDE } from './mnist-draw.js';

/** A positive integer from the page's query string (`?epochs=1&stepsPerRun=128`, as bench/mnist-mlp.ts sets them), or `fallback`. */
function queryInteger(name: string, fallback: number): number {
  const value = Number(new URLSearchParams(location.search).get(name) ?? fallback);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

const EPOCHS = queryInteger('epochs', 3);
const BATCH_SIZE = 64;
/** Optimizer steps per onnxruntime run: small enough for a chart that moves, large enough to amortise the run. */
const STEPS_PER_RUN = queryInteger('stepsPerRun', 16);
const LEARNING_RATE = 1e-3;
const PEN_WIDTH = 22;

const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const statusText = byId('status');
const sourceText = byId('source');
const pad = byId<HTMLCanvasElement>('pad');
const seen = byId<HTMLCanvasElement>('seen');
const predictionText = byId('prediction');
const probabilityList = byId<HTMLOListElement>('probabilities');
const testLabel = byId('test-label');
const trainButton = byId<HTMLButtonElement>('train');
const modelSelect = byId<HTMLSelectElement>('train-model');
const backendSelect = byId<HTMLSelectElement>('backend');
const chart = byId<HTMLCanvasElement>('chart');
const epochList = byId<HTMLOListElement>('epochs');

type PageState = 'loading' | 'ready' | 'training' | 'trained' | 'error';

function setStatus(state: PageState, message: string): void {
  statusText.dataset.state = state;
  statusText.textContent = message;
}

// ---- data: the subsets the page is served (see serve-mnist-data.ts), fetched on first use

const sets = new Map<string, Promise<MnistSet>>();

function mnistSubset(split: 'train' | 't10k'): Promise<MnistSet> {
  let set = sets.get(split);
  if (!set) {
    const fetchBytes = async (name: string) => {
      const response = await fetch(`${import.meta.env.BASE_URL}data/${name}`);
      if (!response.ok) throw new Error(`cannot fetch data/${name}: HTTP ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    };
    set = Promise.all([fetchBytes(`${split}-images-idx3-ubyte`), fetchBytes(`${split}-labels-idx1-ubyte`)]).then(([images, labels]) => mnistSet(images, labels, `MNIST ${split} subset`));
    set.catch(() => sets.delete(split));
    sets.set(split, set);
  }
  return set;
}

// ---- the drawing pad and the prediction

const padContext = pad.getContext('2d', { willReadFrequently: true })!;

function clearPad(): void {
  padContext.fillStyle = '#fff';
  padContext.fillRect(0, 0, pad.width, pad.height);
  testLabel.textContent = '';
  delete testLabel.dataset.label;
}

/** The pad's ink, 0 (white) to 1 (black). */
function padInk(): Float32Array {
  const { data } = padContext.getImageData(0, 0, pad.width, pad.height);
  return Float32Array.from({ length: pad.width * pad.height }, (_, i) => 1 - (data[4 * i]! + data[4 * i + 1]! + data[4 * i + 2]!) / (3 * 255));
}

function showSeen(image: Float32Array | undefined): void {
  const pixels = new ImageData(SIDE, SIDE);
  image?.forEach((v, i) => pixels.data.set([255 * v, 255 * v, 255 * v, 255], 4 * i));
  seen.getContext('2d')!.putImageData(pixels, 0, 0);
}

const bars = Array.from({ length: CLASSES }, (_, digit) => {
  const item = document.createElement('li');
  item.dataset.digit = String(digit);
  item.innerHTML = `<span>${digit}</span><div class="bar"></div><span class="value"></span>`;
  probabilityList.append(item);
  return item;
});

function showProbabilities(p: Float32Array | undefined): void {
  const top = p ? p.indexOf(Math.max(...p)) : -1;
  bars.forEach((item, digit) => {
    const value = p?.[digit];
    item.dataset.probability = value === undefined ? '' : String(value);
    item.dataset.top = String(digit === top);
    (item.querySelector('.bar') as HTMLElement).style.width = `${100 * (value ?? 0)}%`;
    item.querySelector('.value')!.textContent = value === undefined ? '' : `${(100 * value).toFixed(1)}%`;
  });
  predictionText.textContent = top < 0 ? '–' : String(top);
  predictionText.dataset.digit = top < 0 ? '' : String(top);
}

let predictor: Predictor | undefined;
let predicting: Promise<void> = Promise.resolve();
/**
 * While the page trains, drawings are not predicted: onnxruntime-web's WebGPU build fails
 * ("operation does not support unaligned accesses") when a session runs while another is created.
 */
let training = false;

/** The model's input for one 28×28 image: the batch of 1 in whatever shape the model takes ([1, 28, 28, 1] or [1, 784]). */
function feed(model: Predictor, image: Float32Array) {
  const shape = model.inputShapes[INPUT];
  if (!shape) throw new Error(`the model has no input '${INPUT}'; it has ${Object.keys(model.inputShapes).join(', ')}`);
  return { [INPUT]: { data: image, dims: [1, ...shape.slice(1).map(Number)] } };
}

/** Predicts the pad's digit; calls run one after another, a session runs one call at a time. */
function predictPad(): Promise<void> {
  predicting = predicting.then(async () => {
    const image = mnistImage(padInk(), pad.width, pad.height);
    showSeen(image);
    if (training) return;
    if (!image || !predictor) return showProbabilities(undefined);
    try {
      showProbabilities((await predictor.predict(feed(predictor, image)))[OUTPUT]);
    } catch (error) {
      setStatus('error', `Prediction failed: ${(error as Error).message}`);
      console.error(error);
    }
  });
  return predicting;
}

let drawing = false;
let predictQueued = false;
const point = (e: PointerEvent): [number, number] => {
  const r = pad.getBoundingClientRect();
  return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
};
pad.addEventListener('pointerdown', (e) => {
  drawing = true;
  pad.setPointerCapture(e.pointerId);
  padContext.lineWidth = PEN_WIDTH;
  padContext.lineCap = 'round';
  padContext.lineJoin = 'round';
  padContext.strokeStyle = '#000';
  padContext.beginPath();
  padContext.moveTo(...point(e));
  padContext.lineTo(...point(e));
  padContext.stroke();
});
pad.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  padContext.lineTo(...point(e));
  padContext.stroke();
  // at most one prediction per frame while drawing
  if (predictQueued) return;
  predictQueued = true;
  requestAnimationFrame(() => {
    predictQueued = false;
    void predictPad();
  });
});
pad.addEventListener('pointerup', () => {
  drawing = false;
  void predictPad();
});
byId('clear').addEventListener('click', () => {
  clearPad();
  void predictPad();
});

/** Draws a random digit of the test subset on the pad, 10× (pixels / 255 as ink). */
byId('test-digit').addEventListener('click', async () => {
  try {
    const test = await mnistSubset('t10k');
    const index = Math.floor(Math.random() * test.count);
    const digit = new ImageData(SIDE, SIDE);
    for (let i = 0; i < SIDE * SIDE; i++) {
      const paper = 255 - test.images[index * SIDE * SIDE + i]!;
      digit.data.set([paper, paper, paper, 255], 4 * i);
    }
    const small = document.createElement('canvas');
    [small.width, small.height] = [SIDE, SIDE];
    small.getContext('2d')!.putImageData(digit, 0, 0);
    clearPad();
    padContext.imageSmoothingEnabled = true;
    padContext.drawImage(small, 0, 0, pad.width, pad.height);
    testLabel.textContent = `test digit #${index}, labelled ${test.labels[index]}`;
    testLabel.dataset.label = String(test.labels[index]);
    await predictPad();
  } catch (error) {
    setStatus('error', `Cannot draw a test digit: ${(error as Error).message}`);
    console.error(error);
  }
});

// ---- the saved model

let backend: PageBackend;

async function usePredictor(next: Predictor, source: string): Promise<void> {
  const previous = predictor;
  predictor = next;
  sourceText.textContent = source;
  await predicting;
  await previous?.close();
  await predictPad();
}

async function loadSaved(): Promise<void> {
  try {
    await usePredictor(await backend.load(`${import.meta.env.BASE_URL}models/mnist.onnx`), 'models/mnist.onnx');
    setStatus('ready', `Loaded models/mnist.onnx on ${backend.name}. Draw a digit.`);
  } catch (error) {
    setStatus('error', `Cannot load models/mnist.onnx: ${(error as Error).message}. Run \`pnpm mnist\` to write it; training below still works.`);
    console.error(error);
  }
}

// ---- training in the page

for (const [name, spec] of Object.entries(mnistModels)) modelSelect.append(new Option(spec.title, name, name === 'mlp500', name === 'mlp500'));

interface History {
  losses: [number, number][];
  accuracies: [number, number][];
  validation: [number, number][];
  steps: number;
}

function drawHistory(h: History): void {
  const series: Series[] = [
    { label: 'loss', color: '#2166ac', axis: 'left', points: h.losses },
    { label: 'accuracy (running, this epoch)', color: '#e66101', axis: 'right', points: h.accuracies },
    { label: 'validation accuracy', color: '#17703a', axis: 'right', points: h.validation, dots: true },
  ];
  const maxLoss = Math.max(0.5, ...h.losses.slice(0, 20).map(([, l]) => l));
  drawChart(chart, series, { xMax: h.steps, xLabel: 'step', left: { max: Math.ceil(maxLoss / 0.4) * 0.4, label: 'loss' }, right: { max: 1, label: 'accuracy' } });
}

/** Resolves after the browser has painted what changed. */
const afterPaint = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

let runs = 0;

async function train(): Promise<void> {
  const seed = ++runs;
  const name = modelSelect.value;
  if (!isMnistModelName(name)) throw new Error(`unknown model ${name}`);
  const spec = mnistModels[name];
  for (const control of [trainButton, backendSelect, modelSelect]) control.disabled = true;
  training = true;
  await predicting;
  epochList.replaceChildren();
  setStatus('training', 'Fetching the training subset…');
  try {
    const [train, test] = await Promise.all([mnistSubset('train'), mnistSubset('t10k')]);
    const batches = mnistBatches(train, { batchSize: BATCH_SIZE, shape: IMAGE_SHAPE, seed });
    const validation = mnistBatches(test, { batchSize: 500, shape: IMAGE_SHAPE });
    const history: History = { losses: [], accuracies: [], validation: [], steps: EPOCHS * batches.length };
    byId('train-note').textContent =
      `${spec.title}, AdamW (learning rate ${LEARNING_RATE}), ${EPOCHS} epochs of the first ${train.count} training images in batches of ${BATCH_SIZE}, ` +
      `${STEPS_PER_RUN} steps per onnxruntime run, on ${backend.name}; validated on the first ${test.count} test images after each epoch.`;
    setStatus('training', `Training ${spec.title} from scratch on ${backend.name} (seed ${seed})…`);
    drawHistory(history);

    const model = spec.build();
    let epochStarted = 0;
    let trainingMs = 0;
    let lastStepAt = 0;
    const stepsPerSecond = byId('steps-per-second');
    const params: ModelState = await backend
      .trainer(model, 'sparse_categorical_cross_entropy', adamw({ learningRate: LEARNING_RATE }), { seed, log: 0, targetDType: 'int32' })
      .metric('accuracy')
      .validate(validation as Iterable<Batch>)
      .on('epochStarted', () => {
        epochStarted = performance.now();
      })
      .on('iterationCompleted', async (s) => {
        history.losses.push([s.step, s.loss]);
        history.accuracies.push([s.step, s.metrics.accuracy!]);
        lastStepAt = performance.now();
        // handlers see the K steps of a run one after another: redraw once per run
        if (s.step % STEPS_PER_RUN !== 0) return;
        const rate = s.step / ((trainingMs + lastStepAt - epochStarted) / 1000);
        byId('loss').textContent = `loss ${s.loss.toFixed(4)}`;
        byId('accuracy').textContent = `accuracy ${(100 * s.metrics.accuracy!).toFixed(1)}%`;
        stepsPerSecond.textContent = `${rate.toFixed(1)} steps/s`;
        drawHistory(history);
        await afterPaint();
      })
      .on('epochCompleted', async (s) => {
        trainingMs += lastStepAt - epochStarted;
        const validationAccuracy = s.metrics.validation_accuracy!;
        history.validation.push([s.step, validationAccuracy]);
        const item = epochList.appendChild(document.createElement('li'));
        item.dataset.loss = String(s.metrics.loss);
        item.dataset.validationAccuracy = String(validationAccuracy);
        item.textContent = `epoch ${s.epoch + 1}: loss ${s.metrics.loss!.toFixed(4)}, accuracy ${(100 * s.metrics.accuracy!).toFixed(1)}%, validation accuracy ${(100 * validationAccuracy).toFixed(1)}%`;
        byId('epoch').textContent = `epoch ${s.epoch + 1}/${s.epochs}`;
        drawHistory(history);
        await afterPaint();
      })
      .run(batches as Iterable<Batch>, {}, { epochs: EPOCHS, iterations: batches.length, stepsPerRun: STEPS_PER_RUN });

    const rate = history.steps / (trainingMs / 1000);
    stepsPerSecond.textContent = `${rate.toFixed(1)} steps/s`;
    stepsPerSecond.dataset.value = String(rate);
    const losses = byId('loss');
    losses.dataset.first = String(history.losses[0]![1]);
    losses.dataset.last = String(history.losses.at(-1)![1]);
    training = false;
    await usePredictor(await backend.load(exportInference(model, params)), `${spec.title}, trained in this page`);
    setStatus('trained', `Trained ${history.steps} steps on ${backend.name} at ${rate.toFixed(1)} steps/s (${(trainingMs / 1000).toFixed(1)} s of training). The drawing now uses this model.`);
  } catch (error) {
    setStatus('error', `Training failed: ${(error as Error).message}`);
    console.error(error);
  } finally {
    training = false;
    for (const control of [trainButton, backendSelect, modelSelect]) control.disabled = false;
  }
}

trainButton.addEventListener('click', () => void train());
const useBackend = backendSwitch(backendSelect, statusText, async (chosen) => {
  backend = chosen;
  await loadSaved();
});

clearPad();
showProbabilities(undefined);
drawHistory({ losses: [], accuracies: [], validation: [], steps: 0 });
await useBackend('wasm');
trainButton.disabled = false;
