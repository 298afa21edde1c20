import { checkName, checkPositiveInteger, checkTensor, describe, where as at } from './checks.js';
import { validateInitializer } from './initializers.js';
import type { EmbeddingOptions } from './options.js';
import { layer, type SymbolicTensor } from './symbolic.js';

/**
 * A learned vector for each token id: int32/int64 ids `[batch, …]` → `[batch, …, embeddingSize]`.
 * Ids must be in [0, vocabSize); onnxruntime refuses others when the model runs.
 */
export function embedding(x: SymbolicTensor, vocabSize: number, embeddingSize: number, options: EmbeddingOptions = {}): SymbolicTensor {
  const where = at('embedding', options.name);
  checkTensor(x, where);
  if (x.dtype !== 'int32' && x.dtype !== 'int64') throw new Error(`${where}: expected int32 or int64 token ids, got ${x.dtype} (${describe(x)}); declare the input with input(name, { shape, dtype: 'int64' })`);
  checkPositiveInteger(vocabSize, 'vocabSize', where);
  checkPositiveInteger(embeddingSize, 'embeddingSize', where);
  const initializer = validateInitializer(options.initializer ?? { kind: 'uniform', scale: 0.05 }, `${where} kernel`);
  return layer(
    {
      kind: 'embedding',
      name: checkName(options.name, where),
      inputs: [x],
      params: { kernel: { shape: [vocabSize, embeddingSize], initializer } },
      info: `vocabulary ${vocabSize}, size ${embeddingSize}`,
      lower: ({ b }, [ids], p) => b.op('Gather', [p.kernel!, ids!], { axis: 0 }),
    },
    [...x.shape, embeddingSize],
    'float32',
  );
}
