/**
 * The fine-tune page: import an ONNX file in the page and show what would train; and
 * `window.onnxpipeFineTune`, which the Chromium test calls to fine-tune a PyTorch export here.
 */
import { exportTrainStep, importOnnx, sgd, summary, type LossSpec } from '@onnxpipe/graph-builder';
import { trainer, type Batch } from '@onnxpipe/trainer';

const status = document.querySelector<HTMLElement>('#status')!;
const output = document.querySelector<HTMLElement>('#summary')!;

function show(bytes: Uint8Array, label: string): void {
  try {
    const { model, params } = importOnnx(bytes);
    const step = exportTrainStep(model, { loss: 'mean_squared_error', optimizer: sgd() });
    const trainable = step.signature.params.map((p) => p.name);
    const frozen = Object.keys(params).filter((k) => !trainable.includes(k));
    output.textContent = `${summary(model)}\n\ntrainable: ${trainable.join(', ') || 'none'}\nfrozen: ${frozen.join(', ') || 'none'}`;
    status.dataset.state = 'ready';
    status.textContent = `Imported ${label}: ${model.outputs.length} output(s), ${trainable.length} trainable tensor(s).`;
  } catch (error) {
    status.dataset.state = 'error';
    status.textContent = (error as Error).message;
    output.textContent = '';
  }
}

document.querySelector<HTMLInputElement>('#file')!.addEventListener('change', async (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (file) show(new Uint8Array(await file.arrayBuffer()), file.name);
});

interface Tensor {
  readonly dtype: 'float32' | 'int64';
  readonly dims: number[];
  readonly data: number[];
}

export interface FineTuneRequest {
  readonly onnx: number[];
  readonly inputs: Record<string, Tensor>;
  readonly target: Tensor;
  readonly loss: LossSpec;
  readonly learningRate: number;
  readonly steps: number;
}

const typed = (t: Tensor) => ({ data: t.dtype === 'int64' ? BigInt64Array.from(t.data, BigInt) : Float32Array.from(t.data), dims: t.dims });

/** `steps` SGD steps on one batch with onnxruntime-web; the parameters after them, as plain arrays. */
async function fineTune(request: FineTuneRequest): Promise<Record<string, number[]>> {
  const bytes = Uint8Array.from(request.onnx);
  show(bytes, 'the requested model');
  const { model } = importOnnx(bytes);
  const batch = [Object.fromEntries(Object.entries(request.inputs).map(([k, t]) => [k, typed(t)])), typed(request.target)] as Batch;
  const options = { log: 0, ...(request.target.dtype === 'int64' ? { targetDType: 'int64' as const } : {}) };
  const state = await trainer(model, request.loss, sgd({ learningRate: request.learningRate }), options).run(Array.from({ length: request.steps }, () => batch), {}, { stepsPerRun: 1 });
  status.textContent = `Fine-tuned ${request.steps} steps in the page.`;
  return Object.fromEntries(Object.entries(state).map(([k, t]) => [k, Array.from(t.data)]));
}

(window as unknown as { onnxpipeFineTune: typeof fineTune }).onnxpipeFineTune = fineTune;
