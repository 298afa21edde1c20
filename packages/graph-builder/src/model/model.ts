import { SymbolicTensor } from './symbolic.js';

/** A model with one or more outputs; `name` is the output's graph name (default: its layer's name). */
export class Model {
  constructor(readonly outputs: readonly { readonly name: string | undefined; readonly tensor: SymbolicTensor }[]) {}
}

/** What the export and training functions accept: one layer output, or a Model. */
export type ModelLike = SymbolicTensor | Model;

/**
 * A model with several outputs: `model([out1, out2])` names the graph outputs after their
 * layers, `model({ score: out1, label: out2 })` names them by the keys.
 */
export function model(outputs: SymbolicTensor | readonly SymbolicTensor[] | Readonly<Record<string, SymbolicTensor>>): Model {
  const entries =
    outputs instanceof SymbolicTensor
      ? [{ name: undefined, tensor: outputs }]
      : Array.isArray(outputs)
        ? outputs.map((tensor: SymbolicTensor) => ({ name: undefined, tensor }))
        : Object.entries(outputs).map(([name, tensor]) => ({ name, tensor }));
  if (entries.length === 0) throw new Error('model: expected at least one output');
  entries.forEach(({ tensor }, i) => {
    if (!(tensor instanceof SymbolicTensor)) throw new Error(`model: output ${i} is not a layer output (got ${typeof tensor})`);
  });
  return new Model(entries);
}

export function asModel(m: ModelLike): Model {
  if (m instanceof Model) return m;
  if (m instanceof SymbolicTensor) return model(m);
  throw new Error(`expected a model or a layer output, got ${m === null ? 'null' : typeof m}`);
}
