import {
  compile,
  exportEval,
  resolveOptimizer,
  type EvalModel,
  type LossOptions,
  type ModelLike,
  type ModelState,
  type Optimizer,
  type OptimizerName,
  type TargetDType,
} from '@onnxpipe/graph-builder';
import type { OrtBackend } from '@onnxpipe/runtime';
import { isOneShot } from './batches.js';
import { fitData, type FitInputs, type FitOptions, type FitResult, type FitTargets } from './fit.js';
import { metrics, type MetricFn, type MetricName } from './metrics.js';
import { progressLog, type ProgressOutput } from './progress.js';
import type { SessionSettings } from './session.js';
import { isThenable } from './thenable.js';
import { strongest, TrainingRun, type RunInit, type RunLimits, type RunSetup } from './training-run.js';
import type { Data, Device, EventName, Handler, HandlerResult, LoopState } from './types.js';

export interface TrainerOptions {
  /** Seed for parameter initialisation when `run` starts from `{}`. Default 0. */
  readonly seed?: number;
  readonly device?: Device;
  /**
   * Progress output. Default: a live bar on a terminal, one line per epoch otherwise.
   * 0: none. N > 0: also a plain line every N iterations off a terminal.
   */
  readonly log?: number;
  /**
   * onnxruntime's intra-op threads on the CPU. Default: one for a small step, every core for a
   * large one, from the FLOPs of a run (the runtime's chooseThreads).
   */
  readonly intraOpNumThreads?: number;
  readonly interOpNumThreads?: number;
  /** dtype of the targets fed to the graph (see exportTrainStep); values of other types are converted. */
  readonly targetDType?: TargetDType;
  /** Several outputs: the loss is `Σ weight · loss` over the outputs; an output not named weighs 1 (Keras `loss_weights`). */
  readonly lossWeights?: LossOptions['lossWeights'];
}

export interface RunOptions {
  /** Default 1. */
  readonly epochs?: number;
  /** Batches per epoch; default: until the data runs out. */
  readonly iterations?: number;
  /**
   * Optimizer steps per onnxruntime run (the fused ONNX Loop model when > 1). Handlers
   * still see every iteration, but a halt takes effect at the end of a run. Default: from
   * the size of the first batch, up to 128 (chooseStepsPerRun), and at most `iterations`.
   */
  readonly stepsPerRun?: number;
}

/** Where the trainer runs: an onnxruntime backend and, optionally, where progress goes. */
export interface TrainerEnvironment {
  readonly backend: OrtBackend;
  readonly output: ProgressOutput | undefined;
}

export type TrainerPlugin = (t: Trainer) => void;

const events: readonly EventName[] = ['started', 'epochStarted', 'iterationCompleted', 'epochCompleted', 'halted', 'completed'];

function positiveInteger(value: number | undefined, fallback: number, what: string, where: string, allowInfinity = false): number {
  const v = value ?? fallback;
  if (!((Number.isInteger(v) && v > 0) || (allowInfinity && v === Infinity))) throw new Error(`${where}: ${what} must be a positive integer, got ${JSON.stringify(value)}`);
  return v;
}

/** Axon.Loop-style supervised training of a model on onnxruntime. */
export class Trainer {
  private readonly handlers = new Map<EventName, Handler[]>(events.map((e) => [e, []]));
  private readonly metricFns: [string, MetricFn][] = [];
  private validation: Data | undefined;
  private readonly optimizer: Optimizer;
  private readonly settings: SessionSettings;
  private readonly losses: LossOptions;
  private evalModel: EvalModel | undefined;

  constructor(
    private readonly env: TrainerEnvironment,
    readonly model: ModelLike,
    loss: LossOptions['loss'],
    optimizer: OptimizerName | Optimizer,
    private readonly options: TrainerOptions = {},
  ) {
    compile(model); // a malformed model fails here, not at run()
    this.optimizer = resolveOptimizer(optimizer);
    this.losses = {
      loss,
      ...(options.targetDType ? { targetDType: options.targetDType } : {}),
      ...(options.lossWeights ? { lossWeights: options.lossWeights } : {}),
    };
    this.settings = {
      device: options.device ?? 'cpu',
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

  /**
   * Run the handlers of `event` in order, each after the last one's promise (if it returned
   * one) settled; the state is built only when there is a handler to see it. The result is a
   * promise only when a handler returned one.
   */
  private emit(event: EventName, state: () => LoopState): HandlerResult | Promise<HandlerResult> {
    const handlers = this.handlers.get(event)!;
    if (handlers.length === 0) return 'continue';
    return runHandlers(handlers, state(), 0, 'continue');
  }

  /** A line for the user (earlyStop's), on the progress output unless `log` is 0. */
  print(line: string): void {
    if (this.env.output && this.options.log !== 0) this.env.output.write(`${line}\n`);
  }

  /**
   * Train on `data` (batches `[inputs, target]`), starting from `init`: `{}` initialises
   * from the seed, a ModelState is trained further, a Checkpoint resumes with its optimizer
   * state. Returns the trained parameters.
   */
  async run(data: Data, init: RunInit = {}, options: RunOptions = {}): Promise<ModelState> {
    const run = await TrainingRun.prepare(this.runSetup(this.validation), init, runLimits(options, 'run'));
    try {
      return await run.train(data);
    } finally {
      await run.release();
    }
  }

  /**
   * Train on whole arrays (Keras `fit`): `x` by input name, `y` the target (a record by
   * output name for several outputs). Returns the trained state and the metrics of every epoch.
   */
  async fit(x: FitInputs, y: FitTargets, options: FitOptions = {}): Promise<FitResult> {
    const data = fitData(this.getEvalModel().signature, x, y, options, this.options.seed ?? 0);
    const limits = runLimits({ epochs: options.epochs, iterations: data.iterations, stepsPerRun: options.stepsPerRun }, 'fit');
    const run = await TrainingRun.prepare(this.runSetup(data.validation ?? this.validation), options.init ?? {}, limits);
    try {
      const state = await run.train(data.train);
      return { state, history: historyOf(run.history) };
    } finally {
      await run.release();
    }
  }

  private runSetup(validation: Data | undefined): RunSetup {
    return {
      backend: this.env.backend,
      settings: this.settings,
      model: this.model,
      losses: this.losses,
      optimizer: this.optimizer,
      seed: this.options.seed ?? 0,
      metricFns: [...this.metricFns],
      validation,
      evalModel: () => this.getEvalModel(),
      emit: (event, state) => this.emit(event, state),
    };
  }

  private getEvalModel(): EvalModel {
    return (this.evalModel ??= exportEval(this.model, this.losses));
  }
}

/** `handlers[from…]` on `snapshot`, `result` being the strongest result so far. */
function runHandlers(handlers: readonly Handler[], snapshot: LoopState, from: number, result: HandlerResult): HandlerResult | Promise<HandlerResult> {
  for (let i = from; i < handlers.length; i++) {
    const r = handlers[i]!(snapshot);
    if (isThenable(r)) return Promise.resolve(r).then((settled) => runHandlers(handlers, snapshot, i + 1, strongest(result, settled)));
    result = strongest(result, r);
  }
  return result;
}

function runLimits(options: RunOptions, where: string): RunLimits {
  const epochs = positiveInteger(options.epochs, 1, 'epochs', where);
  const iterations = positiveInteger(options.iterations, Infinity, 'iterations', where, true);
  const stepsPerRun = options.stepsPerRun === undefined ? undefined : positiveInteger(options.stepsPerRun, 1, 'stepsPerRun', where);
  return { epochs, iterations, stepsPerRun };
}

/** Per-epoch metrics as one list per metric name (Keras `History.history`). */
function historyOf(epochs: readonly Readonly<Record<string, number>>[]): Record<string, number[]> {
  const history: Record<string, number[]> = {};
  for (const metrics of epochs) for (const [name, value] of Object.entries(metrics)) (history[name] ??= []).push(value);
  return history;
}
