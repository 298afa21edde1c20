/**
 * Gradient check of a whole train step: the gradient the step applies (with plain SGD at
 * lr = 1, p − p.next) against central finite differences of the step's own `loss` output
 * (the loss at the parameters the step starts from, in training mode: batch statistics and
 * all). Checks every layer's forward pass, gradient rules and wiring together, through the
 * public exportTrainStep. Tolerances as in gradcheck.ts: 1e-6 relative in float64, 2e-3 in
 * float32 (h = 3e-3, for models with ops onnxruntime runs in float32 only).
 */
import * as ort from 'onnxruntime-node';
import { sgd } from '../optimizers/index.js';
import { exportTrainStep, type TargetDType } from '../train.js';
import type { LossSpec } from '../losses.js';
import type { ModelLike } from '../model/model.js';
import type { ModelState } from '../state.js';

export interface TrainStepCheck {
  readonly loss: LossSpec;
  readonly targetDType?: TargetDType;
  /** Data inputs and the target, as onnxruntime tensors. */
  readonly feeds: Readonly<Record<string, ort.Tensor>>;
  readonly params: ModelState;
  /** Only these trainable parameters (default all); finite differences cost two runs per element. */
  readonly only?: readonly string[];
}

export interface TrainStepCheckResult {
  readonly checked: number;
  readonly worst: number;
  /** The step's outputs, for further checks (the `.next` values of non-trainable state). */
  readonly outputs: Readonly<Record<string, ort.Tensor>>;
}

export async function checkTrainStepGradients(m: ModelLike, check: TrainStepCheck): Promise<TrainStepCheckResult> {
  const step = exportTrainStep(m, { loss: check.loss, optimizer: sgd({ learningRate: 1 }), ...(check.targetDType ? { targetDType: check.targetDType } : {}) });
  const dtype = step.signature.dtype as 'float32' | 'float64';
  const [tol, relStep] = dtype === 'float64' ? [1e-6, 1e-6] : [2e-3, 3e-3];
  const session = await ort.InferenceSession.create(step.bytes);
  try {
    const scalar = (v: number) => new ort.Tensor(dtype, dtype === 'float64' ? Float64Array.of(v) : Float32Array.of(v), []);
    const values: Record<string, Float32Array | Float64Array> = Object.fromEntries(Object.entries(check.params).map(([k, t]) => [k, t.data.slice()]));
    const feeds = () => ({
      ...check.feeds,
      ...Object.fromEntries(step.signature.params.map((p) => [p.name, new ort.Tensor(dtype, values[p.name]!, p.dims)])),
      lr: scalar(1),
      step: scalar(1),
    });
    const outputs = await session.run(feeds());
    const mismatches: string[] = [];
    let checked = 0;
    let worst = 0;
    for (const p of step.signature.params) {
      if (!p.trainable || (check.only && !check.only.includes(p.name))) continue;
      const next = outputs[p.next]!.data as Float32Array | Float64Array;
      const x = values[p.name]!;
      for (let k = 0; k < x.length; k++) {
        const analytic = x[k]! - next[k]!;
        const x0 = x[k]!;
        const h = relStep * Math.max(1, Math.abs(x0));
        x[k] = x0 + h;
        const up = x[k]!;
        const lossUp = Number((await session.run(feeds(), ['loss'])).loss!.data[0]);
        x[k] = x0 - h;
        const down = x[k]!;
        const lossDown = Number((await session.run(feeds(), ['loss'])).loss!.data[0]);
        x[k] = x0;
        const numeric = (lossUp - lossDown) / (up - down);
        const err = Math.abs(analytic - numeric) / Math.max(1, Math.abs(analytic), Math.abs(numeric));
        if (!(err <= tol)) mismatches.push(`${p.name}[${k}]: step gradient ${analytic}, finite difference ${numeric}`);
        worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
        checked++;
      }
    }
    if (mismatches.length > 0) throw new Error(`checkTrainStepGradients: ${mismatches.length} of ${checked} elements off by more than ${tol}:\n  ${mismatches.slice(0, 8).join('\n  ')}`);
    return { checked, worst, outputs };
  } finally {
    await session.release();
  }
}
