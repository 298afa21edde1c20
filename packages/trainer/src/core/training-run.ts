import type { InferenceSession, Tensor } from 'onnxruntime-common';
import {
  checkState,
  compile,
  elementCount,
  exportTrainStep,
  initParams,
  trainStepSignature,
  type CompiledModel,
  type EvalModel,
  type LossOptions,
  type ModelLike,
  type ModelState,
  type Optimizer,
  type TrainStepSignature,
} from '@onnxpipe/graph-builder';
import { RuntimeInputError, type OrtBackend } from '@onnxpipe/runtime';
import { batchLayout, epochBatches, numbers, prepareBatch, type BatchLayout, type PreparedBatch } from './batches.js';
import { isCheckpoint, type Checkpoint } from './checkpoint-format.js';
import { BatchError, NonFiniteLossError } from './errors.js';
import { EpochMetrics, type MetricFn } from './metrics.js';
import { StepChunk } from './chunk.js';
import { batchFeeds, checkDevice, createSession, hostCopier, type SessionSettings } from './session.js';
import { chooseStepsPerRun } from './tuning.js';
import { isThenable } from './thenable.js';
import type { Batch, Data, EventName, HandlerResult, LoopState } from './types.js';

/** What a run takes from its Trainer. */
export interface RunSetup {
  readonly backend: OrtBackend;
  readonly settings: SessionSettings;
  readonly model: ModelLike;
  readonly losses: LossOptions;
  readonly optimizer: Optimizer;
  /** Seed of the initial parameters when the run starts from `{}`. */
  readonly seed: number;
  readonly metricFns: readonly (readonly [string, MetricFn])[];
  /** Evaluated after every epoch when given (re-iterable). */
  readonly validation: Data | undefined;
  /** The eval model, built on first use. */
  readonly evalModel: () => EvalModel;
  /**
   * Runs the handlers of an event; the state is built only if one is registered. The result
   * is a promise only when a handler returned one, so that a step waits on no promise for nothing.
   */
  readonly emit: (event: EventName, state: () => LoopState) => HandlerResult | Promise<HandlerResult>;
}

export interface RunLimits {
  readonly epochs: number;
  /** Batches per epoch (Infinity: until the data runs out). */
  readonly iterations: number;
  /** undefined: chosen from the size of the first batch (chooseStepsPerRun). */
  readonly stepsPerRun: number | undefined;
}

/** Where a run starts from: `{}` (fresh parameters), a ModelState or a checkpoint. */
export type RunInit = ModelState | Checkpoint | Record<string, never>;

export type Metrics = Readonly<Record<string, number>>;

const halting = (r: HandlerResult): boolean => r === 'halt_epoch' || r === 'halt_loop';
/** 'halt_loop' over 'halt_epoch' over going on. */
export const strongest = (a: HandlerResult, b: HandlerResult): HandlerResult => (a === 'halt_loop' || b === 'halt_loop' ? 'halt_loop' : halting(a) || halting(b) ? 'halt_epoch' : 'continue');

/** The train-step model of a run, exported and opened when the first batch shows its size. */
interface OpenStep {
  readonly session: InferenceSession;
  readonly fused: boolean;
  /** Per output a metric reads: the graph output of its predictions and the target input; empty when no metric reads them. */
  readonly predictions: readonly { readonly output: string; readonly predicted: string; readonly target: string }[];
}

/**
 * One call of `run` or `fit`: the sessions, the carried tensors (parameters and optimizer
 * state, on the device when there is one) and the loop's counters, with one method per phase:
 * `prepare`, `train` (the epoch loop), `runEpoch`, `runChunk` (one onnxruntime run of K
 * steps), `validate`, and `emit`. Whatever the train-step signature lists in `params` and
 * `state` is carried from each run's `.next` outputs to the next run's inputs. The step model
 * is exported and its session opened at the first batch: the steps per run (unless given) and
 * the intra-op threads follow from that batch's size.
 */
export class TrainingRun {
  private epoch: number;
  private step: number;
  /** Epochs completed, as a checkpoint counts them. */
  private completedEpochs: number;
  private iteration = -1;
  private lastLoss = NaN;
  private restoredEpoch: number | undefined;
  private epochMetrics: EpochMetrics;
  private validationMetrics: Metrics = {};
  /** The parameters the last run started from, for the non-finite loss fallback. */
  private previous: { readonly params: Record<string, Tensor>; readonly step: number } | undefined;
  private evalSession: InferenceSession | undefined;
  private open: OpenStep | undefined;
  private stepsPerRun: number | undefined;
  /** The batches of the next run, stacked as they arrive. */
  private chunk: StepChunk | undefined;
  /** Where a one-shot data iterator stands between epochs. */
  private readonly cursor = {};
  private readonly layout: BatchLayout;
  private readonly outputs: readonly string[];
  private readonly paramCopier;
  private readonly stateCopier;
  private readonly lr: Tensor;
  private readonly lastEpoch: number;
  /** Metrics at the end of each epoch of this run (`fit`'s history). */
  readonly history: Metrics[] = [];
  /** Builds the state handlers see (passed to `emit`, which calls it only when a handler listens). */
  private readonly snapshot = (): LoopState => this.loopState();
  // The state's functions act on the run as it is when they are called: made once, not per event.
  private readonly stateParams = () => this.hostParams();
  private readonly stateOptimizer = () => this.stateCopier.toHost(this.optimizerState);
  private readonly stateCheckpoint = () => this.checkpoint();
  private readonly stateRestore = (c: Checkpoint) => this.restore(c);

  private constructor(
    private readonly setup: RunSetup,
    private readonly limits: RunLimits,
    private readonly compiled: CompiledModel,
    /** The signature of one step (unfused): names, dtypes and shapes of a batch, parameters and state. */
    private readonly sig: TrainStepSignature,
    private params: Record<string, Tensor>,
    private optimizerState: Record<string, Tensor>,
    start: { readonly epoch: number; readonly step: number },
  ) {
    const { backend, settings } = setup;
    const dtype = sig.dtype as 'float32' | 'float64';
    this.epoch = start.epoch;
    this.completedEpochs = start.epoch;
    this.step = start.step;
    this.lastEpoch = start.epoch + limits.epochs;
    this.layout = batchLayout(sig);
    this.outputs = compiled.outputs.map((o) => o.name);
    this.epochMetrics = this.newMetrics();
    this.paramCopier = hostCopier(backend, settings, sig.params.map((p) => ({ name: p.name, dtype, dims: p.dims })));
    this.stateCopier = hostCopier(backend, settings, sig.state.map((s) => ({ name: s.name, dtype, dims: s.dims })));
    this.lr = this.scalar(setup.optimizer.learningRate);
    this.stepsPerRun = limits.stepsPerRun;
  }

  /** Check the device and `init` against the train step's signature. */
  static async prepare(setup: RunSetup, init: RunInit, limits: RunLimits): Promise<TrainingRun> {
    checkDevice(setup.backend, setup.settings);
    const compiled = compile(setup.model);
    const sig = trainStepSignature(setup.model, { ...setup.losses, optimizer: setup.optimizer });
    const start = startingPoint(setup.model, compiled, init, setup.seed, sig);
    const tensor = (t: ModelState[string]) => new setup.backend.Tensor(sig.dtype as 'float32', t.data, t.dims);
    const params = Object.fromEntries(sig.params.map((p) => [p.name, tensor(start.params[p.name]!)]));
    const optimizerState = Object.fromEntries(sig.state.map((s) => [s.name, tensor(start.optimizer[s.name]!)]));
    return new TrainingRun(setup, limits, compiled, sig, params, optimizerState, start);
  }

  /**
   * Export the train step and open its session, for batches of `rows` rows: K steps per run
   * (fused when K > 1), the predictions only when a metric reads them, and the intra-op
   * threads from the FLOPs of one step.
   */
  private async openStep(rows: number): Promise<OpenStep> {
    const { setup } = this;
    const stepsPerRun = this.stepsPerRun!;
    const predictions = setup.metricFns.length > 0;
    const train = exportTrainStep(setup.model, { ...setup.losses, optimizer: setup.optimizer, stepsPerRun, predictions });
    const sig = train.signature;
    const deviceOutputs = [...sig.params, ...sig.state].map((slot) => slot.next);
    // per step, not per run: the threads split the work of each node, and the steps of a run follow one another
    const flops = train.cost.fixed + rows * train.cost.perRow;
    const session = await createSession(setup.backend, train.bytes, setup.settings, flops, deviceOutputs);
    const predicted = Object.entries(sig.predictions).map(([output, name]) => ({ output, predicted: name, target: sig.targets[output]!.name }));
    return { session, fused: sig.fused, predictions: predicted };
  }

  /** The epoch loop: `started`, each epoch, `halted` if a handler ended the loop, `completed`. Returns the final parameters. */
  async train(data: Data): Promise<ModelState> {
    let control = await this.emit('started');
    for (; this.epoch < this.lastEpoch && control !== 'halt_loop'; this.epoch++) control = await this.runEpoch(data);
    if (control === 'halt_loop') await this.emit('halted');
    await this.emit('completed');
    return this.hostParams();
  }

  async release(): Promise<void> {
    await this.open?.session.release();
    await this.evalSession?.release();
    await this.paramCopier.release();
    await this.stateCopier.release();
  }

  /** One epoch: `epochStarted`, its batches, validation, `epochCompleted`. Returns 'halt_loop' or 'continue'. */
  private async runEpoch(data: Data): Promise<HandlerResult> {
    this.iteration = -1;
    this.epochMetrics = this.newMetrics();
    this.validationMetrics = {};
    let control = await this.emit('epochStarted');
    if (!halting(control)) control = await this.trainEpoch(data);
    this.validationMetrics = await this.validate();
    this.completedEpochs = this.epoch + 1;
    this.history.push(this.metrics());
    const result = await this.emit('epochCompleted');
    return control === 'halt_loop' || result === 'halt_loop' ? 'halt_loop' : 'continue';
  }

  /** Read the epoch's batches and run them in chunks of up to K batches of one size. */
  private async trainEpoch(data: Data): Promise<HandlerResult> {
    let control: HandlerResult = 'continue';
    const flush = async () => {
      const chunk = this.chunk;
      if (!chunk || chunk.length === 0) return;
      control = await this.runChunk(chunk);
      chunk.clear();
    };
    const batches = epochBatches(data, this.cursor, this.limits.iterations);
    for (let number = 1; ; number++) {
      const next = batches.next();
      const read = next instanceof Promise ? await next : (next as IteratorResult<Batch>);
      if (read.done) break;
      // as `for await` would: a synchronous source may give promises of batches
      const batch: unknown = isThenable(read.value) ? await read.value : read.value;
      let prepared: PreparedBatch;
      try {
        prepared = prepareBatch(this.layout, batch, number);
      } catch (error) {
        if (!(error instanceof RuntimeInputError)) throw error;
        await flush();
        await this.emit('halted');
        throw new BatchError(`epoch ${this.epoch + 1}, ${error.message}`, await this.hostParams(), { cause: error });
      }
      this.stepsPerRun ??= Math.min(chooseStepsPerRun(bytesOf(prepared)), this.limits.iterations);
      const chunk = (this.chunk ??= new StepChunk(this.stepsPerRun));
      if (chunk.length > 0 && chunk.size !== prepared.size) await flush();
      if (halting(control)) break;
      chunk.push(prepared);
      if (chunk.full) await flush();
      if (halting(control)) break;
    }
    if (!halting(control)) await flush();
    return control;
  }

  /** One onnxruntime run over `chunk` (K steps when fused), then `iterationCompleted` for each step. */
  private async runChunk(chunk: StepChunk): Promise<HandlerResult> {
    const { sig } = this;
    const { session, fused, predictions } = (this.open ??= await this.openStep(chunk.size));
    const feeds = chunk.feeds(this.setup.backend, fused);
    Object.assign(feeds, this.params, this.optimizerState);
    feeds[sig.lr] = this.lr;
    feeds[sig.step] = this.scalar(this.step + 1);
    const out = await session.run(feeds);
    const losses = out[sig.loss]!.data as Float32Array;
    const bad = losses.findIndex((l) => !Number.isFinite(l));
    if (bad >= 0) throw await this.nonFiniteLoss(losses, bad);
    this.previous = { params: this.params, step: this.step };
    this.params = carried(sig.params, out);
    this.optimizerState = carried(sig.state, out);
    let control: HandlerResult = 'continue';
    for (let k = 0; k < chunk.length; k++) {
      this.step++;
      this.iteration++;
      this.lastLoss = losses[k]!;
      this.epochMetrics.addLoss(this.lastLoss);
      for (const { output, predicted: name, target } of predictions) {
        const predicted = out[name]!;
        const perStep = predicted.data.length / (fused ? chunk.length : 1);
        const slice = (predicted.data as Float32Array).subarray(k * perStep, (k + 1) * perStep);
        this.epochMetrics.addOutput(output, slice, numbers(chunk.stepData(target, k)), fused ? predicted.dims.slice(1) : predicted.dims);
      }
      const result = this.emit('iterationCompleted');
      control = strongest(control, result instanceof Promise ? await result : result);
    }
    return control;
  }

  /**
   * The loss of a step is computed with the parameters it starts from: those of this run gave
   * a finite loss if the failure is not its first step, else those of the last run.
   */
  private async nonFiniteLoss(losses: Float32Array, bad: number): Promise<NonFiniteLossError> {
    const [good, goodStep] = bad > 0 || !this.previous ? [this.params, this.step] : [this.previous.params, this.previous.step];
    const last = await this.paramCopier.toHost(good);
    await this.emit('halted');
    return new NonFiniteLossError(
      `loss became ${losses[bad]} at epoch ${this.epoch + 1}, batch ${this.iteration + 2 + bad} (step ${this.step + 1 + bad}); the state returned is from step ${goodStep}`,
      last,
    );
  }

  /** validation_loss and validation_<metric> over the validation data, weighted by batch size. */
  private async validate(): Promise<Metrics> {
    const data = this.setup.validation;
    if (!data) return {};
    const means = this.newMetrics();
    let number = 0;
    for await (const batch of epochBatches(data, {}, Infinity)) {
      let prepared: PreparedBatch;
      try {
        prepared = prepareBatch(this.layout, batch, ++number);
      } catch (error) {
        if (!(error instanceof RuntimeInputError)) throw error;
        throw new BatchError(`validation, ${error.message}`, await this.hostParams(), { cause: error });
      }
      const evalModel = this.setup.evalModel();
      this.evalSession ??= await createSession(this.setup.backend, evalModel.bytes, this.setup.settings, evalModel.cost.fixed + prepared.size * evalModel.cost.perRow);
      const out = await this.evalSession.run({ ...batchFeeds(this.setup.backend, prepared), ...this.params });
      means.addLoss((out[this.sig.loss]!.data as Float32Array)[0]!, prepared.size);
      for (const o of this.outputs) {
        const predicted = out[this.sig.predictions[o]!]!;
        const target = prepared.tensors[this.sig.targets[o]!.name]!;
        means.addOutput(o, predicted.data as Float32Array, numbers(target.data), predicted.dims, prepared.size);
      }
    }
    return means.values('validation_');
  }

  private emit(event: EventName): HandlerResult | Promise<HandlerResult> {
    return this.setup.emit(event, this.snapshot);
  }

  private loopState(): LoopState {
    return {
      epoch: this.epoch,
      epochs: this.lastEpoch,
      iterationsPerEpoch: this.limits.iterations,
      iteration: this.iteration,
      step: this.step,
      loss: this.lastLoss,
      metrics: this.metrics(),
      restoredEpoch: this.restoredEpoch,
      params: this.stateParams,
      optimizerState: this.stateOptimizer,
      checkpoint: this.stateCheckpoint,
      restore: this.stateRestore,
    };
  }

  private metrics(): Metrics {
    return Object.assign(this.epochMetrics.values(), this.validationMetrics);
  }

  private async checkpoint(): Promise<Checkpoint> {
    const [params, optimizer] = [await this.hostParams(), await this.stateCopier.toHost(this.optimizerState)];
    return { format: 'onnxpipe-checkpoint', version: 1, epoch: this.completedEpochs, step: this.step, params, optimizer };
  }

  private async restore(c: Checkpoint): Promise<void> {
    if (!isCheckpoint(c)) throw new Error('restore: expected a checkpoint of this run (from LoopState.checkpoint())');
    const start = startingPoint(this.setup.model, this.compiled, c, this.setup.seed, this.sig);
    const tensor = (t: ModelState[string]) => new this.setup.backend.Tensor(this.sig.dtype as 'float32', t.data, t.dims);
    this.params = Object.fromEntries(this.sig.params.map((p) => [p.name, tensor(start.params[p.name]!)]));
    this.optimizerState = Object.fromEntries(this.sig.state.map((s) => [s.name, tensor(start.optimizer[s.name]!)]));
    this.step = start.step;
    this.completedEpochs = start.epoch;
    this.restoredEpoch = start.epoch;
    this.previous = undefined;
  }

  private hostParams(): Promise<ModelState> {
    return this.paramCopier.toHost(this.params);
  }

  private newMetrics(): EpochMetrics {
    return new EpochMetrics(this.setup.metricFns, this.outputs);
  }

  private scalar(value: number): Tensor {
    return new this.setup.backend.Tensor(this.sig.dtype as 'float32', this.sig.dtype === 'float64' ? Float64Array.of(value) : Float32Array.of(value), []);
  }
}

interface Start {
  readonly params: ModelState;
  readonly optimizer: ModelState;
  readonly step: number;
  readonly epoch: number;
}

/** Parameters, optimizer state (zeros unless a checkpoint brings it) and counters to start from. */
function startingPoint(model: ModelLike, compiled: CompiledModel, init: RunInit, seed: number, sig: TrainStepSignature): Start {
  const zeros = (): ModelState =>
    Object.fromEntries(sig.state.map((s) => [s.name, { data: sig.dtype === 'float64' ? new Float64Array(elementCount(s.dims)) : new Float32Array(elementCount(s.dims)), dims: [...s.dims] }]));
  if (isCheckpoint(init)) {
    if (!(Number.isInteger(init.step) && init.step >= 0 && Number.isInteger(init.epoch) && init.epoch >= 0)) {
      throw new Error(`run: the checkpoint's step and epoch must be integers ≥ 0 (the next step fed to the optimizer is step + 1, and Adam divides by 1 − β^step), got step ${init.step}, epoch ${init.epoch}`);
    }
    checkState(compiled, init.params, 'run (checkpoint params)');
    const missing = sig.state.filter((s) => !init.optimizer[s.name]).map((s) => s.name);
    if (missing.length > 0) throw new Error(`run: the checkpoint lacks optimizer state ${missing.join(', ')} (was it written with another optimizer?)`);
    return { params: init.params, optimizer: init.optimizer, step: init.step, epoch: init.epoch };
  }
  if (typeof init !== 'object' || init === null) throw new Error(`run: init must be {} (fresh parameters), a ModelState or a checkpoint, got ${init === null ? 'null' : typeof init}`);
  const params = Object.keys(init).length === 0 ? initParams(model, { seed }) : (init as ModelState);
  checkState(compiled, params, 'run');
  return { params, optimizer: zeros(), step: 0, epoch: 0 };
}

/** The tensors carried to the next run: each slot's `.next` output, by the slot's name. */
function carried(slots: readonly { readonly name: string; readonly next: string }[], out: InferenceSession.ReturnType): Record<string, Tensor> {
  const tensors: Record<string, Tensor> = {};
  for (const slot of slots) tensors[slot.name] = out[slot.next]!;
  return tensors;
}

/** Bytes of one prepared batch's data inputs and targets. */
const bytesOf = (batch: PreparedBatch): number => Object.values(batch.tensors).reduce((n, t) => n + t.data.byteLength, 0);
