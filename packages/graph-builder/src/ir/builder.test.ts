import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './builder.js';
import { serializeModel } from '../onnx/serialize.js';
import { ops } from '../ops/index.js';

const { onnx } = onnxProto;
const T = onnx.AttributeProto.AttributeType;

function attributesOf(b: GraphBuilder): Record<string, { type: number; i?: unknown; f?: number; ints?: unknown[] }> {
  const graph = b.close('g');
  const model = onnx.ModelProto.decode(serializeModel({ graph, initializers: b.initializersOf(graph) }));
  return Object.fromEntries(model.graph!.node!.flatMap((n) => n.attribute!.map((a) => [`${n.opType}.${a.name}`, a as never])));
}

describe('op attributes follow the op table', () => {
  it('are written with the ONNX type of their schema (FLOAT alpha, INT keepdims/axis/to, INTS perm)', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2, 3]);
    b.output(b.op('LeakyRelu', [x], { alpha: 1 }), 'a');
    b.output(b.op('ReduceSum', [x], { keepdims: 0 }), 'r');
    b.output(b.op('Transpose', [x], { perm: [1, 0] }), 't');
    b.output(b.op('Cast', [x], { to: 11 }), 'c');
    const attrs = attributesOf(b);
    // alpha = 1 is an integer-looking number: only the schema says it is a FLOAT.
    expect(attrs['LeakyRelu.alpha']).toMatchObject({ type: T.FLOAT, f: 1 });
    expect(attrs['ReduceSum.keepdims']).toMatchObject({ type: T.INT });
    expect(attrs['Transpose.perm']).toMatchObject({ type: T.INTS });
    expect(attrs['Cast.to']).toMatchObject({ type: T.INT });
  });

  it('an attribute the op does not take is refused, naming the node and the ones it takes', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2, 3]);
    // @ts-expect-error keepdim is not an attribute of ReduceSum (keepdims is)
    expect(() => b.op('ReduceSum', [x], { keepdim: 0 })).toThrow(/^node ReduceSum_0: op ReduceSum has no attribute 'keepdim' \(it takes keepdims, noop_with_empty_axes\)$/);
    // @ts-expect-error Add takes no attributes
    expect(() => b.op('Add', [x, x], { axis: 1 })).toThrow(/^node Add_\d+: op Add has no attribute 'axis' \(it takes none\)$/);
  });

  it('a value of the wrong type is refused', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2, 3]);
    // @ts-expect-error alpha is a number
    expect(() => b.op('LeakyRelu', [x], { alpha: 'big' })).toThrow(/^node LeakyRelu_0: attribute 'alpha' of op LeakyRelu must be of ONNX type FLOAT, got "big"$/);
    expect(() => b.op('Gather', [x, b.constant(0, 'int64')], { axis: 0.5 })).toThrow(/attribute 'axis' of op Gather must be of ONNX type INT, got 0.5/);
  });

  it('every schema entry has a type the serializer writes, and defaults of that type', () => {
    const writable = new Set(['int', 'float', 'ints', 'floats', 'string', 'graph', 'tensor']);
    for (const [name, def] of Object.entries(ops)) {
      for (const [attr, spec] of Object.entries(def.attrs as Record<string, { type: string; default?: unknown }>)) {
        expect(writable.has(spec.type), `${name}.${attr}`).toBe(true);
        if (spec.default !== undefined && spec.type === 'int') expect(Number.isInteger(spec.default), `${name}.${attr}`).toBe(true);
      }
    }
  });

  it('graph outputs are renamed through an Identity node of the table', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2, 3]);
    const out = b.output(b.op('Relu', [x]), 'y');
    expect(out.producer).toMatchObject({ op: 'Identity', name: 'y/Identity' });
    expect(out.shape).toEqual([2, 3]);
  });
});

describe('nested graphs (Loop bodies)', () => {
  it('a node that reads only values from outside goes to the enclosing graph; one that reads a value of its own stays', () => {
    const b = new GraphBuilder();
    const lr = b.input('lr', 'float32', []);
    const body = b.subgraph();
    const x = body.input('x', 'float32', [3]);
    const scaled = body.op('Mul', [lr, b.constant(2, 'float32')]);
    const used = body.op('Mul', [x, scaled]);
    expect(b.nodes.map((n) => n.op)).toEqual(['Mul']);
    expect(b.nodes[0]!.outputs[0]).toBe(scaled);
    expect(body.nodes.map((n) => n.outputs[0])).toEqual([used]);
  });

  it('Dropout stays in the body even when it reads only outside values (a fresh mask each iteration)', () => {
    const b = new GraphBuilder();
    const h = b.input('h', 'float32', [3]);
    const body = b.subgraph();
    body.opMulti('Dropout', [h, b.constant(0.5, 'float32'), b.constant(1, 'bool')], {}, 2);
    expect(body.nodes.map((n) => n.op)).toEqual(['Dropout']);
    expect(b.nodes).toEqual([]);
  });

  it('a body output that comes from outside is copied into the body by an Identity', () => {
    const b = new GraphBuilder();
    const lr = b.input('lr', 'float32', []);
    const body = b.subgraph();
    const out = body.output(lr);
    expect(out).not.toBe(lr);
    expect(body.nodes.map((n) => [n.op, n.inputs[0]])).toEqual([['Identity', lr]]);
  });

  it('bindDim: the size of a symbolic dimension is made on first use, in the graph that binds it, and seen by nested graphs', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['steps', 'batch', 2]);
    let made = 0;
    b.bindDim('batch', () => {
      made++;
      return b.op('Gather', [b.op('Shape', [x]), b.constant(1, 'int64')], { axis: 0 });
    });
    const body = b.subgraph();
    expect(made).toBe(0);
    const size = body.dimSize('batch')!;
    expect(body.dimSize('batch')).toBe(size);
    expect(made).toBe(1);
    expect(b.nodes.map((n) => n.op)).toEqual(['Shape', 'Gather']);
    expect(body.nodes).toEqual([]);
    expect(body.dimSize('steps')).toBeUndefined();
  });
});
