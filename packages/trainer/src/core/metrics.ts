/** A metric on one step's predictions and targets (flat, row-major), `dims` being the predictions' dims. */
export type MetricFn = (predictions: ArrayLike<number>, targets: ArrayLike<number>, dims: readonly number[]) => number;

function accuracy(predictions: ArrayLike<number>, targets: ArrayLike<number>, dims: readonly number[]): number {
  const width = dims[dims.length - 1] ?? 1;
  const rows = predictions.length / width;
  let correct = 0;
  if (width === 1) {
    for (let i = 0; i < rows; i++) if (predictions[i]! >= 0.5 === targets[i]! >= 0.5) correct++;
    return correct / rows;
  }
  const sparse = targets.length === rows;
  for (let r = 0; r < rows; r++) {
    const predicted = argmax(predictions, r * width, width);
    const label = sparse ? targets[r]! : argmax(targets, r * width, width);
    if (predicted === label) correct++;
  }
  return correct / rows;
}

function argmax(values: ArrayLike<number>, offset: number, width: number): number {
  let best = 0;
  for (let k = 1; k < width; k++) if (values[offset + k]! > values[offset + best]!) best = k;
  return best;
}

function meanAbsoluteError(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < predictions.length; i++) sum += Math.abs(predictions[i]! - targets[i]!);
  return sum / predictions.length;
}

function meanSquaredError(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < predictions.length; i++) sum += (predictions[i]! - targets[i]!) ** 2;
  return sum / predictions.length;
}

/** Built-in metrics by name: accuracy (threshold 0.5 for one unit, argmax otherwise), mae, mse. */
export const metrics = {
  accuracy,
  mean_absolute_error: meanAbsoluteError,
  mean_squared_error: meanSquaredError,
} satisfies Record<string, MetricFn>;

export type MetricName = keyof typeof metrics;

/** Running mean over an epoch. */
export class RunningMean {
  private total = 0;
  private count = 0;

  add(value: number, weight = 1): void {
    this.total += value * weight;
    this.count += weight;
  }

  get value(): number {
    return this.count === 0 ? NaN : this.total / this.count;
  }
}

/**
 * The running means of one epoch (or one validation pass): the loss and every metric of every
 * output, labelled `<metric>` for a single-output model and `<output>.<metric>` otherwise.
 */
export class EpochMetrics {
  private readonly loss = new RunningMean();
  private readonly means = new Map<string, RunningMean>();

  constructor(
    private readonly metricFns: readonly (readonly [string, MetricFn])[],
    private readonly outputs: readonly string[],
  ) {
    for (const [name] of metricFns) for (const output of outputs) this.means.set(this.label(name, output), new RunningMean());
  }

  private label(name: string, output: string): string {
    return this.outputs.length === 1 ? name : `${output}.${name}`;
  }

  addLoss(value: number, weight = 1): void {
    this.loss.add(value, weight);
  }

  /** Score one step's predictions for `output` with every metric. */
  addOutput(output: string, predictions: ArrayLike<number>, targets: ArrayLike<number>, dims: readonly number[], weight = 1): void {
    for (const [name, fn] of this.metricFns) this.means.get(this.label(name, output))!.add(fn(predictions, targets, dims), weight);
  }

  /** `loss` then each metric, every name prefixed with `prefix`. */
  values(prefix = ''): Record<string, number> {
    const values: Record<string, number> = { [`${prefix}loss`]: this.loss.value };
    for (const [k, m] of this.means) values[`${prefix}${k}`] = m.value;
    return values;
  }
}
