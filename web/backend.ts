/**
 * Where the pages run their models: onnxruntime-web's wasm build (bundled with the page), or its
 * WebGPU build, downloaded only when the user picks WebGPU.
 */
import type { LossOptions, ModelLike, Optimizer } from '@onnxpipe/graph-builder';
import { loadModel, type Model } from '@onnxpipe/runtime';
import { trainer, type Trainer, type TrainerOptions } from '@onnxpipe/trainer';

export type BackendName = 'wasm' | 'webgpu';

export interface Float32Feed {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** An inference session as the pages use it: float32 inputs in, float32 outputs by name. */
export interface Predictor {
  /** Shape of each input, by name ('batch' or another name for a free dimension). */
  readonly inputShapes: Readonly<Record<string, readonly (number | string)[]>>;
  predict(feeds: Record<string, Float32Feed>): Promise<Record<string, Float32Array>>;
  close(): Promise<void>;
}

export interface PageBackend {
  readonly name: BackendName;
  load(source: string | Uint8Array): Promise<Predictor>;
  trainer(model: ModelLike, loss: LossOptions['loss'], optimizer: Optimizer, options?: TrainerOptions): Trainer;
}

/** A runtime model as the pages use it. */
export function predictor(model: Model): Predictor {
  return {
    inputShapes: Object.fromEntries(model.inputs.map((i) => [i.name, i.shape ?? []])),
    async predict(feeds) {
      const out = await model.predict(feeds);
      return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, t.data as Float32Array]));
    },
    close: () => model.close(),
  };
}

const wasm: PageBackend = {
  name: 'wasm',
  load: async (source) => predictor(await loadModel(source)),
  trainer: (model, loss, optimizer, options) => trainer(model, loss, optimizer, options),
};

let webgpu: Promise<PageBackend> | undefined;

/** The backend called `name`; WebGPU's module is fetched on first use. */
export function pageBackend(name: BackendName): Promise<PageBackend> {
  if (name === 'wasm') return Promise.resolve(wasm);
  webgpu ??= import('./backend-webgpu.js').then((m) => m.webgpuBackend()).catch((error: unknown) => {
    webgpu = undefined;
    throw error;
  });
  return webgpu;
}

/** Records once per page load when the first predictions were shown: `data-first-predictions-ms`, ms since navigation start. */
export function markFirstPredictions(element: HTMLElement): void {
  element.dataset.firstPredictionsMs ??= String(Math.round(performance.now()));
}

/**
 * Wires a `<select>` of backends to `use`: picking one loads it (WebGPU's module on first use),
 * with 'loading' on `status` meanwhile; when it cannot be used, `status` says why ('error') and
 * the select goes back to the backend in use. Returns the switch, to call from code.
 */
export function backendSwitch(select: HTMLSelectElement, status: HTMLElement, use: (backend: PageBackend) => Promise<void>): (name: BackendName) => Promise<void> {
  let current: BackendName = 'wasm';
  const change = async (name: BackendName) => {
    select.disabled = true;
    status.dataset.state = 'loading';
    status.textContent = name === 'webgpu' ? 'Loading the WebGPU build of onnxruntime-web…' : 'Loading…';
    try {
      const backend = await pageBackend(name);
      current = name;
      await use(backend);
    } catch (error) {
      status.dataset.state = 'error';
      status.textContent = `Cannot use ${name}: ${(error as Error).message}. Still on ${current}.`;
      console.warn(error);
    } finally {
      select.value = current;
      select.disabled = false;
    }
  };
  select.addEventListener('change', () => void change(select.value as BackendName));
  return change;
}
