import { formatShape } from '../ir/types.js';
import { compile } from './compile.js';
import type { ModelLike } from './model.js';
import { elementCount } from '../ir/element-count.js';

/** A Keras-style table of layers, output shapes and parameter counts. */
export function summary(m: ModelLike): string {
  const compiled = compile(m);
  const rows = compiled.layers.map((layer) => {
    const name = compiled.layerNames.get(layer)!;
    const shape = formatShape(compiled.tensors.get(layer)!.shape);
    const count = Object.values(layer.params).reduce((sum, p) => sum + elementCount(p.shape), 0);
    const from = layer.inputs.map((t) => compiled.layerNames.get(t.layer)!).join(', ');
    return [`${name} (${layer.kind}${layer.info ? `: ${layer.info}` : ''})`, shape, String(count), from];
  });
  const header = ['Layer', 'Output shape', 'Params', 'Inputs'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const total = compiled.params.reduce((sum, p) => sum + elementCount(p.shape), 0);
  const rule = '-'.repeat(widths.reduce((a, w) => a + w + 2, -2));
  return [line(header), rule, ...rows.map(line), rule, `Total parameters: ${total}`].join('\n');
}
