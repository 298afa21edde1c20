import { tensorConst, type GraphBuilder } from '../ir/builder.js';
import { isFloat, type Attrs, type DType, type Dim, type TensorConst, type Value } from '../ir/types.js';
import { Model } from '../model/model.js';
import { layer, SymbolicTensor, type Layer, type ParamSpec } from '../model/symbolic.js';
import { dtypeFromOnnx } from '../onnx/dtypes.js';
import { ops, type OpAttrs, type OpName } from '../ops/index.js';
import type { ModelState } from '../state.js';
import { fold, staticFromConst, type Static } from './fold.js';
import { attributesOf, decodeModel, int, tensorFromProto, type NodeProto } from './proto.js';
import { rememberSource } from './sources.js';

export interface ImportOptions {
  /**
   * Which float initializers train: a predicate on the name, a RegExp, or a list of names;
   * the rest are frozen (constants of the train step). Default: every float initializer of
   * rank ≥ 1, except batch-normalisation statistics, clip/pad bounds and tensors holding
   * infinities or NaN (attention masks).
   */
  readonly trainable?: RegExp | readonly string[] | ((name: string) => boolean);
  /** Treat a fixed first input dimension (a model exported with batch 1) as the batch dimension. Default false. */
  readonly relaxBatch?: boolean;
}

export interface ImportResult {
  readonly model: ImportedModel;
  /** Every float initializer, by its ONNX name. */
  readonly params: ModelState;
}

/** The opsets whose graphs onnxpipe imports. */
export const IMPORT_OPSETS = { min: 13, max: 21 } as const;

/** Inputs that take statistics or bounds rather than weights: frozen unless named in `trainable`. */
const notWeights: Readonly<Record<string, readonly number[]>> = { BatchNormalization: [3, 4], Clip: [1, 2], Pad: [2, 3] };

/** Reductions whose axes were an attribute before opset 18 (ReduceSum: before 13); the builder emits the input form. */
const axesBecameInput: Readonly<Record<string, number>> = {
  ReduceSum: 13,
  ReduceMean: 18,
  ReduceMax: 18,
  ReduceMin: 18,
  ReduceProd: 18,
  ReduceL1: 18,
  ReduceL2: 18,
  ReduceLogSum: 18,
  ReduceLogSumExp: 18,
  ReduceSumSquare: 18,
};

/** A model read from an ONNX file: its inputs and outputs keep their ONNX names, its weights their initializer names. */
export class ImportedModel extends Model {
  constructor(
    outputs: readonly { readonly name: string; readonly tensor: SymbolicTensor }[],
    private readonly values: ReadonlyMap<string, SymbolicTensor>,
    /** The decoded file (an onnx-proto ModelProto, typed opaquely: see sources.ts). */
    source: object,
  ) {
    super(outputs);
    rememberSource(this, source);
  }

  /** Any value of the graph (an intermediate activation, e.g. the features before the head), to build on with the layer API. */
  tensor(name: string): SymbolicTensor {
    const t = this.values.get(name);
    if (!t) {
      const names = [...this.values.keys()];
      throw new Error(`tensor: the graph has no computed value '${name}' (constants are folded); some of its values: ${names.slice(-8).join(', ')}`);
    }
    return t;
  }
}

type Entry = { readonly kind: 'tensor'; readonly tensor: SymbolicTensor } | { readonly kind: 'static'; readonly value: Static } | { readonly kind: 'param'; readonly name: string; readonly spec: ParamSpec };

function constOf(s: Static): TensorConst {
  return tensorConst(s.dtype, s.dims, s.data as number[]);
}

/**
 * A static value with symbolic entries ('batch') as a constant input of `op`: a Reshape target
 * copies the dimension (0) or infers it (-1), an Expand shape broadcasts it (1).
 */
function resolveSymbols(op: string, slot: number, s: Static, data: readonly Dim[] | undefined, where: string): Static {
  if (s.data.every((v) => typeof v === 'number')) return s;
  const fail = () => new Error(`${where}: input ${slot} is computed from the symbolic dimension(s) ${[...new Set(s.data.filter((v) => typeof v === 'string'))].join(', ')} in a way onnxpipe cannot import`);
  if (op === 'Reshape' && slot === 1 && data) {
    let holes = s.data.filter((v) => v === -1).length;
    return {
      ...s,
      data: s.data.map((v, i) => {
        if (typeof v === 'number') return v;
        if (data[i] === v) return 0;
        if (holes++ === 0) return -1;
        throw fail();
      }),
    };
  }
  if (op === 'Expand' && slot === 1 && data) {
    const lead = s.data.length - data.length;
    return { ...s, data: s.data.map((v, i) => (typeof v === 'number' ? v : data[i - lead] === v ? 1 : (() => { throw fail(); })())) };
  }
  throw fail();
}

function choosesTrainable(option: ImportOptions['trainable'], names: readonly string[]): ((name: string) => boolean) | undefined {
  if (option === undefined) return undefined;
  if (option instanceof RegExp) return (n) => option.test(n);
  if (typeof option === 'function') return option;
  if (Array.isArray(option)) {
    const unknown = option.filter((n) => !names.includes(n));
    if (unknown.length > 0) throw new Error(`importOnnx: trainable names ${unknown.map((n) => `'${n}'`).join(', ')} are not float initializers of the model (it has ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''})`);
    return (n) => option.includes(n);
  }
  throw new Error(`importOnnx: trainable must be a RegExp, a list of names or a function, got ${typeof option}`);
}

/**
 * Read an ONNX model (opsets 13–21, as torch.onnx.export and tf2onnx write them) into a
 * model every export and the trainer take. Shape computations are folded; each other node
 * becomes a layer that replays it.
 */
export function importOnnx(bytes: Uint8Array, options: ImportOptions = {}): ImportResult {
  const proto = decodeModel(bytes);
  const graph = proto.graph!;
  const foreign = (proto.opsetImport ?? []).filter((o) => o.domain && o.domain !== 'ai.onnx');
  const opset = int((proto.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version);
  if (opset < IMPORT_OPSETS.min || opset > IMPORT_OPSETS.max) {
    throw new Error(`importOnnx: the model uses opset ${opset} of the default domain; onnxpipe imports opsets ${IMPORT_OPSETS.min} to ${IMPORT_OPSETS.max} (re-export it with torch.onnx.export(..., opset_version=17))`);
  }

  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const floatNames = [...initializers.values()].filter((t) => t.dataType === 1 || t.dataType === 11).map((t) => t.name ?? '');
  const chosen = choosesTrainable(options.trainable, floatNames);
  const frozenSlot = new Set<string>();
  for (const node of graph.node ?? []) (notWeights[node.opType ?? ''] ?? []).forEach((k) => node.input?.[k] && frozenSlot.add(node.input[k]!));

  const values = new Map<string, Entry>();
  const params: ModelState = {};
  for (const [name, t] of initializers) {
    const data = tensorFromProto(t, `importOnnx: initializer '${name}'`);
    if (!isFloat(data.dtype)) {
      values.set(name, { kind: 'static', value: staticFromConst(data) });
      continue;
    }
    const initial = { data: (data.data as Float32Array | Float64Array).slice(), dims: [...data.dims] };
    params[name] = { data: initial.data.slice(), dims: [...initial.dims] };
    // Masks (a causal mask of -inf above the diagonal) are not weights either.
    const finite = initial.data.every(Number.isFinite);
    const trainable = chosen ? chosen(name) : data.dims.length >= 1 && !frozenSlot.has(name) && finite;
    values.set(name, { kind: 'param', name, spec: { shape: data.dims, initializer: 'zeros', fullName: name, initial, trainable } });
  }

  for (const input of graph.input ?? []) {
    const name = input.name ?? '';
    if (initializers.has(name)) continue;
    const tensorType = input.type?.tensorType;
    if (!tensorType) throw new Error(`importOnnx: input '${name}' is not a tensor`);
    const dtype = dtypeFromOnnx(tensorType.elemType ?? 0);
    const dims: Dim[] = (tensorType.shape?.dim ?? []).map((d, i) => {
      if (i === 0 && (d.dimParam || options.relaxBatch)) return 'batch';
      if (d.dimParam) return d.dimParam;
      const v = int(d.dimValue);
      if (!(v > 0)) throw new Error(`importOnnx: input '${name}' has an unknown dimension ${i}; give it a size or a name`);
      return v;
    });
    const spec: Layer = { kind: 'input', name, inputs: [], params: {}, info: '', lower: () => { throw new Error(`input '${name}' is not bound`); } };
    values.set(name, { kind: 'tensor', tensor: layer(spec, dims, dtype) });
  }

  const unsupported: string[] = [];
  const usedNames = new Set<string>([...values.keys()]);
  const layerName = (node: NodeProto, k: number, outputs: number): string | undefined => {
    const base = node.name || undefined;
    const name = base && outputs > 1 ? `${base}:${k}` : base;
    if (!name || usedNames.has(name)) return undefined;
    usedNames.add(name);
    return name;
  };

  for (const node of graph.node ?? []) {
    const op = node.opType ?? '';
    const where = `node '${node.name || node.output?.[0]}' (${op})`;
    if (node.domain && node.domain !== 'ai.onnx') {
      unsupported.push(`${where} in domain ${node.domain}`);
      continue;
    }
    let attrs: Record<string, unknown> = attributesOf(node, `importOnnx: ${where}`);
    const inputNames = [...(node.input ?? [])];
    const entries: (Entry | undefined)[] = inputNames.map((n) => (n === '' ? undefined : values.get(n)));
    if (inputNames.some((n, i) => n !== '' && entries[i] === undefined)) {
      const missing = inputNames.find((n, i) => n !== '' && entries[i] === undefined)!;
      if (unsupported.length > 0) continue; // it comes from a node already reported
      throw new Error(`importOnnx: ${where} reads '${missing}', which no earlier node, input or initializer makes`);
    }
    const since = axesBecameInput[op];
    if (since !== undefined && opset < since && Array.isArray(attrs.axes)) {
      const { axes, ...rest } = attrs;
      attrs = rest;
      entries[1] = { kind: 'static', value: { dtype: 'int64', dims: [(axes as number[]).length], data: axes as number[] } };
    }
    const outputNames = (node.output ?? []).filter((n, i, all) => n !== '' || all.slice(i).some((m) => m !== ''));
    if (op === 'Split' && entries[1] === undefined && attrs.num_outputs === undefined) attrs.num_outputs = outputNames.length;

    const statics = entries.map((e) => (e === undefined ? undefined : e.kind === 'static' ? e.value : null));
    const folded = fold(op, statics, attrs as Attrs, () => (entries[0]?.kind === 'tensor' ? entries[0].tensor.shape : entries[0]?.kind === 'param' ? entries[0].spec.shape : undefined));
    if (folded) {
      outputNames.forEach((n, k) => n && folded[k] && values.set(n, { kind: 'static', value: folded[k]! }));
      continue;
    }
    if (!Object.hasOwn(ops, op)) {
      unsupported.push(where);
      continue;
    }
    const schema = ops[op as OpName].attrs as Readonly<Record<string, unknown>>;
    const unknownAttrs = Object.keys(attrs).filter((k) => !(k in schema));
    if (unknownAttrs.length > 0) {
      unsupported.push(`${where} with attribute${unknownAttrs.length > 1 ? 's' : ''} ${unknownAttrs.join(', ')}`);
      continue;
    }

    // The layer's inputs (tensors), parameters and constants, by input slot.
    const dataShape = entries[0]?.kind === 'tensor' ? entries[0].tensor.shape : undefined;
    const tensors: SymbolicTensor[] = [];
    const paramSpecs: Record<string, ParamSpec> = {};
    const slots = entries.map((e, k) => {
      if (e === undefined) return { kind: 'absent' as const };
      if (e.kind === 'tensor') return { kind: 'tensor' as const, index: tensors.push(e.tensor) - 1, value: e.tensor };
      if (e.kind === 'param') {
        paramSpecs[`in${k}`] = e.spec;
        return { kind: 'param' as const, key: `in${k}`, spec: e.spec };
      }
      return { kind: 'static' as const, value: resolveSymbols(op, k, e.value, dataShape, `importOnnx: ${where}`) };
    });
    const probe = (slot: (typeof slots)[number]): Value | null => {
      switch (slot.kind) {
        case 'absent':
          return null;
        case 'tensor':
          return { name: '', dtype: slot.value.dtype, shape: slot.value.shape, producer: undefined };
        case 'param':
          return { name: '', dtype: slot.spec.initial!.data instanceof Float64Array ? 'float64' : 'float32', shape: slot.spec.shape, producer: undefined };
        case 'static':
          return { name: '', dtype: slot.value.dtype, shape: slot.value.dims, producer: undefined, constant: constOf(slot.value) };
      }
    };
    let signatures;
    try {
      signatures = ops[op as OpName].infer(slots.map(probe), attrs as Attrs, where);
    } catch (error) {
      throw new Error(`importOnnx: ${(error as Error).message}`, { cause: error });
    }
    const emitted = new WeakMap<GraphBuilder, Value[]>();
    const count = outputNames.length;
    /** The node's outputs in builder `b`: each output is a layer of its own, and whichever lowers first emits the node. */
    const emit = (b: GraphBuilder, inputValues: readonly Value[], paramValues: Readonly<Record<string, Value>>): Value[] => {
      const made = emitted.get(b);
      if (made) return made;
      const args = slots.map((slot) => {
        switch (slot.kind) {
          case 'absent':
            return null;
          case 'tensor':
            return inputValues[slot.index]!;
          case 'param':
            return paramValues[slot.key]!;
          case 'static':
            return b.constant(slot.value.data as number[], slot.value.dtype, slot.value.dims);
        }
      });
      const outs = b.opMulti(op as OpName, args, attrs as OpAttrs<OpName>, count);
      emitted.set(b, outs);
      return outs;
    };
    outputNames.forEach((n, k) => {
      if (!n) return;
      const sig = signatures[k];
      if (!sig) throw new Error(`importOnnx: ${where} has ${outputNames.length} outputs; onnxpipe's ${op} makes ${signatures.length}`);
      const spec: Layer = {
        kind: op,
        name: layerName(node, k, count),
        inputs: tensors,
        params: paramSpecs,
        info: '',
        opset,
        lower: ({ b }, inputValues, paramValues) => emit(b, inputValues, paramValues)[k]!,
      };
      values.set(n, { kind: 'tensor', tensor: layer(spec, sig.shape, sig.dtype as DType) });
    });
  }

  // An opset import of another domain that no node uses (tf2onnx declares ai.onnx.ml) is harmless.
  if (unsupported.length > 0) {
    throw new Error(
      `importOnnx: onnxpipe cannot import ${unsupported.length} node${unsupported.length === 1 ? '' : 's'}: ${unsupported.slice(0, 10).join('; ')}${unsupported.length > 10 ? '; …' : ''}` +
        (foreign.length > 0 ? ` (the model also imports domains ${foreign.map((o) => o.domain).join(', ')})` : ''),
    );
  }

  const outputs = (graph.output ?? []).map((o) => {
    const name = o.name ?? '';
    const entry = values.get(name);
    if (entry?.kind !== 'tensor') throw new Error(`importOnnx: output '${name}' is ${entry ? 'a constant' : 'never computed'}; only computed outputs can be trained`);
    return { name, tensor: entry.tensor };
  });
  const tensors = new Map([...values].flatMap(([n, e]) => (e.kind === 'tensor' ? [[n, e.tensor] as const] : [])));
  return { model: new ImportedModel(outputs, tensors, proto), params };
}

