import type { InferenceSession, Tensor } from 'onnxruntime-common';
import {
  checkState,
  compile,
  exportEval,
  exportTrainStep,
  initParams,
  resolveOptimizer,
  type CompiledModel,
  type LossOptions,
  type ModelLike,
  type ModelState,
  type Optimizer,
  type OptimizerName,
  type TargetDType,
  type TrainStepSignature,
} from '@onnxpipe/graph-builder';
import { RuntimeInputError, type TensorInfo } from '@onnxpipe/runtime';
import { epochBatches, isOneShot, numbers, prepareBatch, type BatchLayout, type PreparedBatch } from './batches.js';
import { isCheckpoint, type Checkpoint } from './checkpoint-format.js';
import { BatchError, NonFiniteLossError } from './errors.js';
import { metrics, RunningMean, type MetricFn, type MetricName } from './metrics.js';
import { progressLog, type ProgressOutput } from './progress.js';
import { batchFeeds, createSession, hostCopier, type SessionSettings } from './session.js';
import type { Data, Device, EventName, Handler, HandlerResult, LoopState, OrtModule } from './types.js';

export interface TrainerOptions {
  /** Seed for parameter initialisation when `run` starts from `{}`. Default 0. */
  readonly seed?: number;
  readonly device?: Device;
  /**
   * Progress output. Default: a live bar on a terminal, one line per epoch otherwise.
   * 0: none. N > 0: also a plain line every N iterations off a terminal.
   */
  readonly log?: number;
  readonly intraOpNumThreads?: number;
  readonly interOpNumThreads?: number;
  /** dtype of the targets fed to the graph (see exportTrainStep); values of other types are converted. */
  readonly targetDType?: TargetDType;
}

export interface RunOptions {
  /** Default 1. */
  readonly epochs?: number;
  /** Batches per epoch; default: until the data runs out. */
  readonly iterations?: number;
  /**
   * Optimizer steps per onnxruntime run (the fused ONNX Loop model when > 1). Handlers
   * still see every iteration, but a halt takes effect at the end of a run.
   */
  readonly stepsPerRun?: number;
}

/** Where the trainer runs: an onnxruntime module and, optionally, where progress goes. */
export interface TrainerEnvironment {
  readonly ort: OrtModule;
  readonly cpuProvider: string;
  readonly output: ProgressOutput | undefined;
}

export type TrainerPlugin = (t: Trainer) => void;

export const DEFAULT_STEPS_PER_RUN = 128;

const events: readonly EventName[] = ['started', 'epochStarted', 'iterationCompleted', 'epochCompleted', 'halted', 'completed'];

function positiveInteger(value: number | undefined, fallback: number, what: string, allowInfinity = false): number {
  const v = value ?? fallback;
  if (!((Number.isInteger(v) && v > 0) || (allowInfinity && v === Infinity))) throw new Error(`run: ${what} must be a positive integer, got ${JSON.stringify(value)}`);
  return v;
}

/** Axon.Loop-style supervised training of a model on onnxruntime. */
export class Trainer {
  private readonly handlers = new Map<EventName, Handler[]>(events.map((e) => [e, []]));
  private readonly metricFns: [string, MetricFn][] = [];
  private validation: Data | undefined;
  private readonly optimizer: Optimizer;
  private readonly settings: SessionSettings;

  constructor(
    private readonly env: TrainerEnvironment,
    readonly model: ModelLike,
    private readonly loss: LossOptions['loss'],
    optimizer: OptimizerName | Optimizer,
    private readonly options: TrainerOptions = {},
  ) {
    compile(model); // a malformed model fails here, not at run()
    this.optimizer = resolveOptimizer(optimizer);
    this.settings = {
      device: options.device ?? 'cpu',
      cpuProvider: env.cpuProvider,
      ...(options.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: options.intraOpNumThreads }),
      ...(options.interOpNumThreads === undefined ? {} : { interOpNumThreads: options.interOpNumThreads }),
    };
    if (options.log !== undefined && !(Number.isInteger(options.log) && options.log >= 0)) {
      throw new Error(`trainer: log must be 0 (off) or a positive integer, got ${JSON.stringify(options.log)}`);
    }
    if (env.output && options.log !== 0) this.handle(progressLog(env.output, { every: options.log ?? 0 }));
  }

  /** Track a metric on the training batches (running mean per epoch), by name or as a function. */
  metric(metric: MetricName | MetricFn, name?: string): this {
    if (typeof metric === 'function') {
      this.metricFns.push([name ?? (metric.name || `metric_${this.metricFns.length}`), metric]);
      return this;
    }
    const fn = Object.hasOwn(metrics, metric) ? metrics[metric] : undefined;
    if (!fn) throw new Error(`metric: unknown metric ${JSON.stringify(metric)}; expected one of ${Object.keys(metrics).join(', ')} or a function`);
    this.metricFns.push([name ?? metric, fn]);
    return this;
  }

  on(event: EventName, handler: Handler): this {
    const list = this.handlers.get(event);
    if (!list) throw new Error(`on: unknown event ${JSON.stringify(event)}; expected one of ${events.join(', ')}`);
    if (typeof handler !== 'function') throw new Error(`on('${event}'): the handler must be a function`);
    list.push(handler);
    return this;
  }

  /** Attach a plugin (checkpoint, earlyStop, a custom logger…). */
  handle(plugin: TrainerPlugin): this {
    plugin(this);
    return this;
  }

  /** Evaluate on `data` (re-iterated every epoch) at the end of each epoch: validation_loss and validation_<metric>. */
  validate(data: Data): this {
    if (isOneShot(data)) throw new Error('validate: the data is read every epoch, so it must be re-iterable (an array, or an object whose [Symbol.iterator] makes a fresh iterator), not a generator or iterator object');
    this.validation = data;
    return this;
  }

  /** Run the handlers of `event`; the state is built only when there is a handler to see it. */
  private async emit(event: EventName, state: () => LoopState): Promise<HandlerResult> {
    const handlers = this.handlers.get(event)!;
    if (handlers.length === 0) return 'continue';
    const snapshot = state();
    let result: HandlerResult = 'continue';
    for (const handler of handlers) {
      const r = await handler(snapshot);
      if (r === 'halt_loop' || (r === 'halt_epoch' && result !== 'halt_loop')) result = r;
    }
    return result;
  }

  /**
   * Train on `data` (batches `[inputs, target]`), starting from `init`: `{}` initialises
   * from the seed, a ModelState is trained further, a Checkpoint resumes with its optimizer
   * state. Returns the trained parameters.
   */
  async run(data: Data, init: ModelState | Checkpoint | Record<string, never> = {}, options: RunOptions = {}): Promise<ModelState> {
    const epochs = positiveInteger(options.epochs, 1, 'epochs');
    const iterations = positiveInteger(options.iterations, Infinity, 'iterations', true);
    const stepsPerRun = positiveInteger(options.stepsPerRun, Math.min(DEFAULT_STEPS_PER_RUN, iterations), 'stepsPerRun');
    const { ort } = this.env;
    const compiled = compile(this.model);

    const train = exportTrainStep(this.model, {
      loss: this.loss,
      optimizer: this.optimizer,
      stepsPerRun,
      ...(this.options.targetDType ? { targetDType: this.options.targetDType } : {}),
    });
    const sig = train.signature;
    const start = startingPoint(this.model, compiled, init, this.options.seed ?? 0, sig);
    const deviceOutputs = [...sig.params.map((p) => p.next), ...sig.state.map((s) => s.next)];
    const session = await createSession(ort, train.bytes, this.settings, deviceOutputs);
    const layout = batchLayout(sig);
    const dtype = sig.dtype as 'float32' | 'float64';
    const tensorOf = (t: { data: Float32Array | Float64Array; dims: readonly number[] }) => new ort.Tensor(dtype, t.data, t.dims);
    let params: Record<string, Tensor> = Object.fromEntries(sig.params.map((p) => [p.name, tensorOf(start.params[p.name]!)]));
    let optState: Record<string, Tensor> = Object.fromEntries(sig.state.map((s) => [s.name, tensorOf(start.optimizer[s.name]!)]));
    const paramCopier = hostCopier(ort, this.settings, sig.params.map((p) => ({ name: p.name, dtype, dims: p.dims })));
    const stateCopier = hostCopier(ort, this.settings, sig.state.map((p) => ({ name: p.name, dtype, dims: p.dims })));
    const hostParams = () => paramCopier.toHost(params);
    const lr = new ort.Tensor(dtype, dtype === 'float64' ? Float64Array.of(this.optimizer.learningRate) : Float32Array.of(this.optimizer.learningRate), []);

    let step = start.step;
    let lastLoss = NaN;
    let epoch = 0;
    let iteration = -1;
    let means = new Map<string, RunningMean>();
    let validationMetrics: Record<string, number> = {};
    const state = (): LoopState => ({
      epoch,
      epochs: start.epoch + epochs,
      iterationsPerEpoch: iterations,
      iteration,
      step,
      loss: lastLoss,
      metrics: { ...Object.fromEntries([...means].map(([k, m]) => [k, m.value])), ...validationMetrics },
      params: hostParams,
      optimizerState: () => stateCopier.toHost(optState),
    });

    const cursor = {};
    const outputNames = compiled.outputs.map((o) => o.name);
    const metricLabel = (name: string, output: string) => (outputNames.length === 1 ? name : `${output}.${name}`);

    let previous: { params: Record<string, Tensor>; step: number } | undefined;
    const runChunk = async (chunk: readonly PreparedBatch[]): Promise<HandlerResult> => {
      const stepTensor = new ort.Tensor(dtype, dtype === 'float64' ? Float64Array.of(step + 1) : Float32Array.of(step + 1), []);
      const feeds = { ...batchFeeds(ort, chunk, sig.fused), ...params, ...optState, [sig.lr]: lr, [sig.step]: stepTensor };
      const out = await session.run(feeds);
      const losses = out[sig.loss]!.data as Float32Array;
      const bad = losses.findIndex((l) => !Number.isFinite(l));
      if (bad >= 0) {
        // The loss of a step is computed with the parameters it starts from: those of this
        // run gave a finite loss if the failure is not its first step, else those of the last run.
        const [good, goodStep] = bad > 0 || !previous ? [params, step] : [previous.params, previous.step];
        const last = await paramCopier.toHost(good);
        await this.emit('halted', state);
        throw new NonFiniteLossError(`loss became ${losses[bad]} at epoch ${epoch}, iteration ${iteration + 1 + bad} (step ${step + 1 + bad}); the state returned is from step ${goodStep}`, last);
      }
      previous = { params, step };
      params = Object.fromEntries(sig.params.map((p) => [p.name, out[p.next]!]));
      optState = Object.fromEntries(sig.state.map((s) => [s.name, out[s.next]!]));
      let control: HandlerResult = 'continue';
      for (let k = 0; k < chunk.length; k++) {
        step++;
        iteration++;
        lastLoss = losses[k]!;
        means.get('loss')!.add(lastLoss);
        for (const o of outputNames) {
          const predicted = out[sig.predictions[o]!]!;
          const target = chunk[k]!.tensors[sig.targets[o]!.name]!;
          const perStep = predicted.data.length / (sig.fused ? chunk.length : 1);
          const slice = (predicted.data as Float32Array).subarray(k * perStep, (k + 1) * perStep);
          const dims = sig.fused ? predicted.dims.slice(1) : predicted.dims;
          for (const [name, fn] of this.metricFns) means.get(metricLabel(name, o))!.add(fn(slice, numbers(target.data), dims));
        }
        const r = await this.emit('iterationCompleted', state);
        if (r === 'halt_loop' || (r === 'halt_epoch' && control !== 'halt_loop')) control = r;
      }
      return control;
    };

    let evalSession: InferenceSession | undefined;
    const validate = async (): Promise<Record<string, number>> => {
      if (!this.validation) return {};
      if (!evalSession) {
        const ev = exportEval(this.model, { loss: this.loss, ...(this.options.targetDType ? { targetDType: this.options.targetDType } : {}) });
        evalSession = await createSession(ort, ev.bytes, this.settings);
      }
      const lossMean = new RunningMean();
      const metricMeans = new Map(this.metricFns.flatMap(([name]) => outputNames.map((o) => [metricLabel(name, o), new RunningMean()] as const)));
      let index = 0;
      for await (const batch of epochBatches(this.validation, {}, Infinity)) {
        let prepared: PreparedBatch;
        try {
          prepared = prepareBatch(layout, batch, index++);
        } catch (error) {
          if (!(error instanceof RuntimeInputError)) throw error;
          throw new BatchError(`validation, ${error.message}`, await hostParams(), { cause: error });
        }
        const feeds = { ...batchFeeds(ort, [prepared], false), ...params };
        const out = await evalSession.run(feeds);
        lossMean.add((out[sig.loss]!.data as Float32Array)[0]!, prepared.size);
        for (const o of outputNames) {
          const predicted = out[sig.predictions[o]!]!;
          const target = prepared.tensors[sig.targets[o]!.name]!;
          for (const [name, fn] of this.metricFns) metricMeans.get(metricLabel(name, o))!.add(fn(predicted.data as Float32Array, numbers(target.data), predicted.dims), prepared.size);
        }
      }
      return Object.fromEntries([['validation_loss', lossMean.value], ...[...metricMeans].map(([k, m]) => [`validation_${k}`, m.value] as const)]);
    };

    const halting = (r: HandlerResult) => r === 'halt_epoch' || r === 'halt_loop';
    try {
      const loop: { control: HandlerResult } = { control: await this.emit('started', state) };
      for (epoch = start.epoch; epoch < start.epoch + epochs && loop.control !== 'halt_loop'; epoch++) {
        iteration = -1;
        means = new Map<string, RunningMean>([['loss', new RunningMean()], ...this.metricFns.flatMap(([name]) => outputNames.map((o) => [metricLabel(name, o), new RunningMean()] as const))]);
        validationMetrics = {};
        loop.control = await this.emit('epochStarted', state);
        let chunk: PreparedBatch[] = [];
        const flush = async () => {
          if (chunk.length === 0) return;
          const c = chunk;
          chunk = [];
          const r = await runChunk(c);
          if (halting(r)) loop.control = r;
        };
        let index = 0;
        if (!halting(loop.control)) {
          for await (const batch of epochBatches(data, cursor, iterations)) {
            let prepared: PreparedBatch;
            try {
              prepared = prepareBatch(layout, batch, index);
            } catch (error) {
              if (!(error instanceof RuntimeInputError)) throw error;
              await flush();
              await this.emit('halted', state);
              throw new BatchError(`epoch ${epoch}, ${error.message}`, await hostParams(), { cause: error });
            }
            index++;
            if (chunk.length > 0 && chunk[0]!.size !== prepared.size) await flush();
            if (halting(loop.control)) break;
            chunk.push(prepared);
            if (chunk.length === stepsPerRun) await flush();
            if (halting(loop.control)) break;
          }
          if (!halting(loop.control)) await flush();
        }
        validationMetrics = await validate();
        const r = await this.emit('epochCompleted', state);
        loop.control = loop.control === 'halt_loop' || r === 'halt_loop' ? 'halt_loop' : 'continue';
      }
      if (loop.control === 'halt_loop') await this.emit('halted', state);
      await this.emit('completed', state);
      return await hostParams();
    } finally {
      await session.release();
      await evalSession?.release();
      await paramCopier.release();
      await stateCopier.release();
    }
  }
}

function batchLayout(sig: TrainStepSignature): BatchLayout {
  const strip = (shape: readonly (number | string)[]) => (sig.fused ? shape.slice(1) : [...shape]);
  const inputs: TensorInfo[] = sig.inputs.map((i) => ({ name: i.name, dtype: sig.dtype as 'float32', shape: strip(i.shape) }));
  const targets = Object.fromEntries(Object.entries(sig.targets).map(([o, t]) => [o, { name: t.name, dtype: t.dtype, shape: strip(t.shape) } as TensorInfo]));
  return { inputs, targets };
}

interface Start {
  readonly params: ModelState;
  readonly optimizer: ModelState;
  readonly step: number;
  readonly epoch: number;
}

function startingPoint(model: ModelLike, compiled: CompiledModel, init: ModelState | Checkpoint | Record<string, never>, seed: number, sig: TrainStepSignature): Start {
  const zeros = (): ModelState =>
    Object.fromEntries(sig.state.map((s) => [s.name, { data: sig.dtype === 'float64' ? new Float64Array(size(s.dims)) : new Float32Array(size(s.dims)), dims: [...s.dims] }]));
  if (isCheckpoint(init)) {
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

const size = (dims: readonly number[]) => dims.reduce((a, d) => a * d, 1);
