import { lossNames, type LossName, type LossOptions } from '@onnxpipe/graph-builder';
import type { MetricName } from '@onnxpipe/trainer';
import { CliError } from '../errors.js';

const CLASSIFICATION: readonly string[] = ['binary_cross_entropy', 'categorical_cross_entropy'];

/** The loss from --loss, else the definition's `loss` export (a name, or one name per output). */
export function chooseLoss(flag: LossName | undefined, exported: unknown): LossOptions['loss'] {
  const loss = flag ?? exported;
  if (loss === undefined) throw new CliError(`no loss: pass --loss (${lossNames.join(', ')}) or export \`loss\` from the definition`);
  if (typeof loss === 'string' && !(lossNames as readonly string[]).includes(loss)) {
    throw new CliError(`the definition's loss '${loss}' is unknown; expected one of ${lossNames.join(', ')}`);
  }
  if (typeof loss !== 'string' && (typeof loss !== 'object' || loss === null || Array.isArray(loss))) {
    throw new CliError('the definition exports a `loss` that is neither a loss name nor a record of output name to loss name');
  }
  return loss as LossOptions['loss'];
}

/** Accuracy for classification losses, nothing otherwise. */
export const defaultMetrics = (loss: LossOptions['loss']): MetricName[] =>
  typeof loss === 'string' && CLASSIFICATION.includes(loss) ? ['accuracy'] : [];
