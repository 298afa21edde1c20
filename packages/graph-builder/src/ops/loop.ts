import { arg } from './rules.js';
import { type OpDef } from './types.js';
import type { SubGraph } from '../ir/types.js';

const loopAttrs = { body: { type: 'graph' } } as const;

function bodyOf(attrs: { readonly body?: unknown }, op: string, node: string): SubGraph {
  const body = attrs.body as SubGraph | undefined;
  if (!body || body.kind !== 'graph') throw new Error(`node ${node}: ${op} needs a body graph`);
  return body;
}

/**
 * ONNX Loop. Body outputs are (cond, carried..., scanned...); the scanned ones come out
 * stacked along a new leading dimension named 'steps'.
 */
export const Loop: OpDef<typeof loopAttrs> = {
  attrs: loopAttrs,
  infer: (inputs, attrs, node) => {
    const body = bodyOf(attrs, 'Loop', node);
    const carried = inputs.length - 2;
    inputs.slice(2).forEach((_, i) => arg(inputs, i + 2, node));
    return body.outputs.slice(1).map((v, i) => ({ dtype: v.dtype, shape: i < carried ? v.shape : ['steps', ...v.shape] }));
  },
  vjp: null,
};

const scanAttrs = { body: { type: 'graph' }, num_scan_inputs: { type: 'int' } } as const;

/**
 * ONNX Scan (opset 16), along axis 0 forward only. Inputs are (state..., scanned...); each
 * iteration's body gets the state and the next slice of every scanned input, and gives
 * (state..., scan outputs...): the last state comes out, then the scan outputs stacked along a
 * new leading dimension named 'steps'.
 */
export const Scan: OpDef<typeof scanAttrs> = {
  attrs: scanAttrs,
  infer: (inputs, attrs, node) => {
    const body = bodyOf(attrs, 'Scan', node);
    const scanned = attrs.num_scan_inputs as number | undefined;
    if (scanned === undefined || scanned < 1 || scanned > inputs.length) throw new Error(`node ${node}: Scan needs num_scan_inputs between 1 and ${inputs.length}, got ${scanned}`);
    const state = inputs.length - scanned;
    inputs.forEach((_, i) => arg(inputs, i, node));
    if (body.inputs.length !== inputs.length) throw new Error(`node ${node}: the Scan body takes ${body.inputs.length} inputs, the node gives ${inputs.length}`);
    return body.outputs.map((v, i) => ({ dtype: v.dtype, shape: i < state ? v.shape : ['steps', ...v.shape] }));
  },
  vjp: null,
};
