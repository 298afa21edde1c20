import { arg } from './rules.js';
import { type OpDef } from './types.js';
import type { SubGraph } from '../ir/types.js';

const loopAttrs = { body: { type: 'graph' } } as const;

/**
 * ONNX Loop. Body outputs are (cond, carried..., scanned...); the scanned ones come out
 * stacked along a new leading dimension named 'steps'.
 */
export const Loop: OpDef<typeof loopAttrs> = {
  attrs: loopAttrs,
  infer: (inputs, attrs, node) => {
    const body = attrs.body as SubGraph | undefined;
    if (!body || body.kind !== 'graph') throw new Error(`node ${node}: Loop needs a body graph`);
    const carried = inputs.length - 2;
    inputs.slice(2).forEach((_, i) => arg(inputs, i + 2, node));
    return body.outputs.slice(1).map((v, i) => ({ dtype: v.dtype, shape: i < carried ? v.shape : ['steps', ...v.shape] }));
  },
  vjp: null,
};
