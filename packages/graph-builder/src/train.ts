import { gradients } from './autodiff.js';
import { asConst, dataInputs } from './export.js';
import { GraphBuilder } from './ir/builder.js';
import { ScanBody } from './scan-body.js';
import { graphCost, type GraphCost } from './ir/cost.js';
import { onnxDataType } from './onnx/dtypes.js';
import { serializeModel } from './onnx/serialize.js';
import { checkLoss, emitLoss, lossNames, targetShape, type Loss, type LossSpec } from './losses.js';
import { compile, emitForward, type CompiledModel, type CompiledParam } from './model/compile.js';
import type { ModelLike } from './model/model.js';
import { resolveOptimizer, type Optimizer, type OptimizerName } from './optimizers/index.js';
import type { DType, Value } from './ir/types.js';

export type TargetDType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool';

export interface LossOptions {
  /** One loss for every output, or one per output name. */
  readonly loss: LossSpec | Readonly<Record<string, LossSpec>>;
  /**
   * dtype of the target inputs (default: int64 when every loss is sparse_categorical_cross_entropy,
   * else the model's float type). Integer targets are cast; for the categorical cross-entropies they are class indices.
   */
  readonly targetDType?: TargetDType;
  /** Weight of each output's loss by output name (default 1): the `loss` output is `Σ weight · loss` (Keras `loss_weights`). */
  readonly lossWeights?: Readonly<Record<string, number>>;
}

export interface TrainStepOptions extends LossOptions {
  readonly optimizer: OptimizerName | Optimizer;
  /**
   * 1 (default): one optimizer step per run. More: the fused model, an ONNX Scan over
   * batches stacked along a leading 'steps' dimension (any number of them per run).
   */
  readonly stepsPerRun?: number;
  /**
   * true (default): the predictions of every step are outputs (for metrics). false: only the
   * loss, the parameters and the optimizer state come out, and the step does less.
   */
  readonly predictions?: boolean;
}

export interface ParamSlot {
  /** Graph input name. */
  readonly name: string;
  /** Graph output name of its updated value (`<name>.next`). */
  readonly next: string;
  readonly dims: readonly number[];
}

export interface ParamInput extends ParamSlot {
  /** false: state the step updates itself (batch-norm statistics): no gradient, no optimizer state. */
  readonly trainable: boolean;
}

export interface StateSlot extends ParamSlot {
  readonly param: string;
  readonly slot: string;
}

/** Names and shapes of a train-step model's inputs and outputs. */
export interface TrainStepSignature {
  readonly fused: boolean;
  readonly dtype: DType;
  readonly inputs: readonly { readonly name: string; readonly dtype: DType; readonly shape: readonly (number | string)[] }[];
  /** Output name → target input name. */
  readonly targets: Readonly<Record<string, { readonly name: string; readonly dtype: TargetDType; readonly shape: readonly (number | string)[] }>>;
  readonly params: readonly ParamInput[];
  readonly state: readonly StateSlot[];
  /** Scalar inputs: learning rate and the 1-based number of the (first) step of this run. */
  readonly lr: 'lr';
  readonly step: 'step';
  /** The optimizer's default learning rate. */
  readonly learningRate: number;
  /** Output: the loss (shape [] or, fused, [steps]). */
  readonly loss: 'loss';
  /** Output name → graph output with the predictions of this step (none when exported with `predictions: false`). */
  readonly predictions: Readonly<Record<string, string>>;
}

export interface TrainStepModel {
  readonly bytes: Uint8Array;
  readonly signature: TrainStepSignature;
  /** FLOPs of one step: `fixed + batch · perRow` (the Scan body once for a fused model). */
  readonly cost: GraphCost;
}

export interface EvalModel {
  readonly bytes: Uint8Array;
  readonly signature: Omit<TrainStepSignature, 'state' | 'lr' | 'step' | 'learningRate' | 'fused'>;
  /** FLOPs of one run: `fixed + batch · perRow`. */
  readonly cost: GraphCost;
}

interface Resolved {
  readonly compiled: CompiledModel;
  /** The parameters fed to the step (trainable and state), in order; frozen ones are constants. */
  readonly fed: readonly CompiledParam[];
  readonly dtype: DType;
  readonly losses: Readonly<Record<string, Loss>>;
  readonly lossWeights: Readonly<Record<string, number>>;
  readonly targetDType: TargetDType;
}

/** A record of losses by output name, rather than one loss (a name or `{ name, fromLogits }`) for every output. */
function isLossRecord(loss: LossOptions['loss']): boolean {
  return typeof loss === 'object' && loss !== null && !(typeof (loss as { name?: unknown }).name === 'string' && (lossNames as readonly string[]).includes((loss as { name: string }).name));
}

function resolve(m: ModelLike, options: LossOptions, where: string): Resolved {
  const compiled = compile(m);
  if (!compiled.params.some((p) => p.trainable)) throw new Error(`${where}: the model has no trainable parameters`);
  const dtype = compiled.params[0]!.dtype;
  const losses: Record<string, Loss> = {};
  const perOutput = isLossRecord(options.loss);
  for (const o of compiled.outputs) {
    const spec = perOutput ? (options.loss as Readonly<Record<string, LossSpec>>)[o.name] : options.loss;
    if (spec === undefined) throw new Error(`${where}: no loss given for output '${o.name}'`);
    losses[o.name] = checkLoss(spec, `${where} (output '${o.name}')`);
  }
  if (perOutput) {
    const unknown = Object.keys(options.loss).filter((k) => !(k in losses));
    if (unknown.length > 0) throw new Error(`${where}: loss given for unknown outputs ${unknown.join(', ')}; outputs are ${Object.keys(losses).join(', ')}`);
  }
  const allSparse = Object.values(losses).every((l) => l.name === 'sparse_categorical_cross_entropy');
  const targetDType = options.targetDType ?? (allSparse ? 'int64' : (dtype as TargetDType));
  if (!Object.hasOwn(onnxDataType, targetDType)) throw new Error(`${where}: targetDType ${JSON.stringify(targetDType)} is not one of float32, float64, int32, int64, bool`);
  return { compiled, fed: compiled.params.filter((p) => p.role !== 'frozen'), dtype, losses, lossWeights: resolveLossWeights(options.lossWeights, Object.keys(losses), where), targetDType };
}

function resolveLossWeights(weights: LossOptions['lossWeights'], outputs: readonly string[], where: string): Record<string, number> {
  if (weights === undefined) return Object.fromEntries(outputs.map((o) => [o, 1]));
  if (typeof weights !== 'object' || weights === null || Array.isArray(weights)) throw new Error(`${where}: lossWeights must be a record of output name to weight, got ${JSON.stringify(weights)}`);
  const unknown = Object.keys(weights).filter((k) => !outputs.includes(k));
  if (unknown.length > 0) throw new Error(`${where}: lossWeights given for unknown outputs ${unknown.join(', ')}; outputs are ${outputs.join(', ')}`);
  return Object.fromEntries(
    outputs.map((o) => {
      const w = weights[o] ?? 1;
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw new Error(`${where}: lossWeights['${o}'] must be a finite number ≥ 0, got ${JSON.stringify(w)}`);
      return [o, w];
    }),
  );
}

const targetName = (compiled: CompiledModel, output: string): string => (compiled.outputs.length === 1 ? 'target' : `target.${output}`);

/** Target inputs, shaped from the outputs' static shapes. */
function targetInputs(b: GraphBuilder, r: Resolved): Record<string, Value> {
  return Object.fromEntries(r.compiled.outputs.map((o) => [o.name, b.input(targetName(r.compiled, o.name), r.targetDType, targetShape(r.losses[o.name]!, o.tensor.shape, r.targetDType))]));
}

/** Fed parameters by name, and the frozen ones as initializers of the (outermost) graph. */
function paramRecord(b: GraphBuilder, r: Resolved, values: readonly Value[]): Record<string, Value> {
  const frozen = r.compiled.params.filter((p) => p.role === 'frozen').map((p) => [p.name, b.frozen(p.name, asConst(p.initial!))] as const);
  return Object.fromEntries([...r.fed.map((p, i) => [p.name, values[i]!] as const), ...frozen]);
}

interface StepBindings {
  readonly inputs: Readonly<Record<string, Value>>;
  readonly targets: Readonly<Record<string, Value>>;
  readonly params: readonly Value[];
  readonly state: readonly (readonly Value[])[];
  readonly lr: Value;
  readonly step: Value;
}

function emitObjective(b: GraphBuilder, r: Resolved, bind: Omit<StepBindings, 'state' | 'lr' | 'step'>, training: boolean) {
  const { outputs: predictions, updates } = emitForward(b, r.compiled, { inputs: bind.inputs, params: paramRecord(b, r, bind.params), training });
  const losses = r.compiled.outputs.map((o) => {
    const loss = emitLoss(b, r.losses[o.name]!, predictions[o.name]!, bind.targets[o.name]!, `loss ${r.losses[o.name]!.name} (output '${o.name}')`);
    const weight = r.lossWeights[o.name]!;
    return weight === 1 ? loss : b.op('Mul', [loss, b.constant(weight, loss.dtype)]);
  });
  const loss = losses.reduce((total, l) => b.op('Add', [total, l]));
  return { loss, predictions, updates };
}

/** Rescale all gradients together so that their global L2 norm is at most `clipNorm`. */
function clipByGlobalNorm(b: GraphBuilder, grads: readonly Value[], clipNorm: number): Value[] {
  return b.scoped('clip', () => {
    const squares = grads.map((g) => b.op('ReduceSum', [b.op('Mul', [g, g])], { keepdims: 0 }));
    const norm = b.op('Sqrt', [squares.reduce((total, s) => b.op('Add', [total, s]))]);
    const limit = b.constant(clipNorm, norm.dtype);
    const scale = b.op('Div', [limit, b.op('Max', [norm, limit])]);
    return grads.map((g) => b.op('Mul', [g, scale]));
  });
}

/**
 * One optimizer step: forward, loss, gradients, update. `bind.state` holds the optimizer
 * slots of the trainable parameters, in order; a non-trainable parameter's next value is
 * what its layer computed (batch-norm statistics), or itself.
 */
function emitStep(b: GraphBuilder, r: Resolved, optimizer: Optimizer, bind: StepBindings, prepared?: Readonly<Record<string, Value>>) {
  const { loss, predictions, updates } = emitObjective(b, r, bind, true);
  const all = r.fed;
  const trainable = all.flatMap((p, i) => (p.trainable ? [i] : []));
  const trainableValues = trainable.map((i) => bind.params[i]!);
  const next: Value[] = all.map((p, i) => updates[p.name] ?? bind.params[i]!);
  const scaledUpdate = optimizer.clipNorm === undefined ? optimizer.scaledUpdate : undefined;
  if (scaledUpdate) {
    const scaled = gradients(b, loss, trainableValues, bind.lr);
    trainable.forEach((i, k) => (next[i] = b.scoped(`update/${all[i]!.name}`, () => scaledUpdate(b, bind.params[i]!, scaled[k]!))));
    return { loss, predictions, params: next, state: trainable.map(() => []) };
  }
  const raw = gradients(b, loss, trainableValues);
  const grads = optimizer.clipNorm === undefined ? raw : clipByGlobalNorm(b, raw, optimizer.clipNorm);
  const hyper = { lr: bind.lr, step: bind.step };
  const shared = prepared ?? (optimizer.prepare ? b.scoped('update', () => optimizer.prepare!(b, hyper)) : {});
  const state = trainable.map((i, k) => {
    const u = b.scoped(`update/${all[i]!.name}`, () => optimizer.update(b, bind.params[i]!, grads[k]!, bind.state[k]!, hyper, shared));
    next[i] = u.param;
    return u.state;
  });
  return { loss, predictions, params: next, state };
}

interface StepPlan {
  readonly r: Resolved;
  readonly optimizer: Optimizer;
  readonly predictions: boolean;
  readonly signature: TrainStepSignature;
}

/** The options checked, and the signature of the train-step model they ask for. */
function planStep(m: ModelLike, options: TrainStepOptions, where: string): StepPlan {
  const r = resolve(m, options, where);
  const optimizer = resolveOptimizer(options.optimizer);
  const stepsPerRun = options.stepsPerRun ?? 1;
  if (!Number.isInteger(stepsPerRun) || stepsPerRun < 1) throw new Error(`${where}: stepsPerRun must be a positive integer, got ${JSON.stringify(stepsPerRun)}`);
  const predictions = options.predictions ?? true;
  if (typeof predictions !== 'boolean') throw new Error(`${where}: predictions must be true or false, got ${JSON.stringify(predictions)}`);
  const fused = stepsPerRun > 1;
  const leading = fused ? ['steps'] : [];
  const { compiled } = r;
  const signature: TrainStepSignature = {
    fused,
    dtype: r.dtype,
    inputs: compiled.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: [...leading, ...i.shape] })),
    targets: Object.fromEntries(
      compiled.outputs.map((o) => [o.name, { name: targetName(compiled, o.name), dtype: r.targetDType, shape: [...leading, ...targetShape(r.losses[o.name]!, o.tensor.shape, r.targetDType)] }]),
    ),
    params: r.fed.map((p) => ({ name: p.name, next: `${p.name}.next`, dims: p.shape, trainable: p.trainable })),
    state: r.fed
      .filter((p) => p.trainable)
      .flatMap((p) => optimizer.slots.map((slot) => ({ name: `${p.name}.${slot}`, next: `${p.name}.${slot}.next`, param: p.name, slot, dims: p.shape }))),
    lr: 'lr',
    step: 'step',
    learningRate: optimizer.learningRate,
    loss: 'loss',
    predictions: predictions ? Object.fromEntries(compiled.outputs.map((o) => [o.name, o.name])) : {},
  };
  return { r, optimizer, predictions, signature };
}

/** The signature `exportTrainStep(m, options)` gives, without building the model. */
export function trainStepSignature(m: ModelLike, options: TrainStepOptions): TrainStepSignature {
  return planStep(m, options, 'trainStepSignature').signature;
}

/**
 * The train-step model. Inputs: the data inputs, `target` (or `target.<output>` for several
 * outputs), every parameter, the optimizer state `<param>.<slot>`, `lr` and `step`.
 * Outputs: `loss`, `<param>.next`, `<param>.<slot>.next` and the predictions, named as
 * the inference model names its outputs. Each `.next` output feeds the next run's input.
 */
export function exportTrainStep(m: ModelLike, options: TrainStepOptions): TrainStepModel {
  const { r, optimizer, predictions, signature: sig } = planStep(m, options, 'exportTrainStep');
  const b = new GraphBuilder();
  const inputs = Object.fromEntries(sig.inputs.map((i) => [i.name, b.input(i.name, i.dtype, i.shape)]));
  const targets = Object.fromEntries(Object.entries(sig.targets).map(([o, t]) => [o, b.input(t.name, t.dtype, t.shape)]));
  const paramInputs = r.fed.map((p) => b.input(p.name, p.dtype, p.shape));
  const stateInputs = r.fed.filter((p) => p.trainable).map((p) => optimizer.slots.map((slot) => b.input(`${p.name}.${slot}`, p.dtype, p.shape)));
  const lr = b.input(sig.lr, r.dtype, []);
  const step = b.input(sig.step, r.dtype, []);

  const bindings = { inputs, targets, params: paramInputs, state: stateInputs, lr, step };
  const result = sig.fused ? emitScan(b, r, optimizer, bindings, predictions) : emitStep(b, r, optimizer, bindings);

  b.output(result.loss, sig.loss);
  sig.params.forEach((p, i) => b.output(result.params[i]!, p.next));
  sig.state.forEach((s, i) => b.output(result.state[Math.floor(i / optimizer.slots.length)]![i % optimizer.slots.length]!, s.next));
  for (const [o, name] of Object.entries(sig.predictions)) b.output(result.predictions[o]!, name);

  const graph = b.close(sig.fused ? 'onnxpipe_train_loop' : 'onnxpipe_train_step');
  return { bytes: serializeModel({ graph, initializers: b.initializersOf(graph), opset: r.compiled.opset }), cost: graphCost(graph), signature: sig };
}

/**
 * K steps in one ONNX Scan over the inputs stacked along a leading 'steps' axis: each
 * iteration takes the next slice. Per-step data preparation (Concat of inputs, Cast or OneHot of
 * targets) and the loss run outside the body, once per run over all K steps (ScanBody).
 */
function emitScan(b: GraphBuilder, r: Resolved, optimizer: Optimizer, outer: StepBindings, withPredictions: boolean) {
  // Every step of a run has the batch size of the stacked inputs: sizes read from them outside the body.
  for (const v of [...Object.values(outer.inputs), ...Object.values(outer.targets)]) {
    let shape: Value | undefined;
    v.shape.forEach((d, axis) => {
      if (typeof d === 'string') b.bindDim(d, () => b.op('Gather', [(shape ??= b.op('Shape', [v])), b.constant(axis, 'int64')], { axis: 0 }));
    });
  }
  // the optimizer's carried form of its state, if it has one, for the steps of the run
  const carried = optimizer.carried;
  const stepOptimizer: Optimizer = carried ? { ...optimizer, prepare: carried.prepare ?? optimizer.prepare, update: carried.update } : optimizer;
  const initialState = carried ? outer.state.map((slots) => carried.enter(b, slots)) : outer.state;
  const scan = new ScanBody(b);
  const params = r.fed.map((p) => scan.state(`state.${p.name}`, p.dtype, p.shape));
  const state = r.fed.filter((p) => p.trainable).map((p) => optimizer.slots.map((slot) => scan.state(`state.${p.name}.${slot}`, p.dtype, p.shape)));
  // The step numbers of the run, and the optimizer's per-step scalars (Adam's bias corrections)
  // for every step at once, outside the body; each iteration takes its own slice.
  const toFloat = { to: onnxDataType[r.dtype] };
  const trips = b.dimSize('steps')!;
  const steps = b.op('Add', [outer.step, b.op('Cast', [b.op('Range', [b.constant(0, 'int64'), trips, b.constant(1, 'int64')])], toFloat)]);
  const prepared = stepOptimizer.prepare
    ? b.scoped('update', () => {
        const all = stepOptimizer.prepare!(b, { lr: outer.lr, step: steps });
        return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.shape.length === 1 ? scan.slice(v) : v]));
      })
    : undefined;
  const inner = emitStep(
    scan.body,
    r,
    stepOptimizer,
    {
      inputs: Object.fromEntries(Object.entries(outer.inputs).map(([k, v]) => [k, scan.slice(v)])),
      targets: Object.fromEntries(Object.entries(outer.targets).map(([k, v]) => [k, scan.slice(v)])),
      params,
      state,
      lr: outer.lr,
      step: scan.slice(steps),
    },
    prepared,
  );
  const scanned = withPredictions ? r.compiled.outputs.map((o) => inner.predictions[o.name]!) : [];
  const out = scan.close('train_step_body', [...outer.params, ...initialState.flat()], [...inner.params, ...inner.state.flat()], scanned, inner.loss);
  const nParams = outer.params.length;
  let k = nParams;
  const last = outer.state.map((slots) => slots.map(() => out.state[k++]!));
  return {
    params: out.state.slice(0, nParams),
    state: carried ? last.map((slots) => carried.exit(b, slots)) : last,
    loss: out.only!,
    predictions: Object.fromEntries(r.compiled.outputs.filter(() => withPredictions).map((o, i) => [o.name, out.perStep[i]!])),
  };
}

/** The eval model: data inputs, targets and parameters in; `loss` and predictions out, no update. */
export function exportEval(m: ModelLike, options: LossOptions): EvalModel {
  const r = resolve(m, options, 'exportEval');
  const b = new GraphBuilder();
  const inputs = dataInputs(b, r.compiled);
  const targets = targetInputs(b, r);
  const params = r.fed.map((p) => b.input(p.name, p.dtype, p.shape));
  const { loss, predictions } = emitObjective(b, r, { inputs, targets, params }, false);
  b.output(loss, 'loss');
  const names: Record<string, string> = {};
  for (const o of r.compiled.outputs) names[o.name] = b.output(predictions[o.name]!, o.name).name;
  const graph = b.close('onnxpipe_eval');
  return {
    bytes: serializeModel({ graph, initializers: b.initializersOf(graph), opset: r.compiled.opset }),
    cost: graphCost(graph),
    signature: {
      dtype: r.dtype,
      inputs: r.compiled.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: [...i.shape] })),
      targets: Object.fromEntries(Object.entries(targets).map(([o, v]) => [o, { name: v.name, dtype: r.targetDType, shape: [...v.shape] }])),
      params: r.fed.map((p) => ({ name: p.name, next: `${p.name}.next`, dims: p.shape, trainable: p.trainable })),
      loss: 'loss',
      predictions: names,
    },
  };
}

