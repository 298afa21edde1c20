import { describe, expect, it } from 'vitest';
import {
  add,
  concatenate,
  dense,
  dropout,
  exportInference,
  initParams,
  input,
  model,
  multiply,
  stateFromJSON,
  stateToJSON,
  subtract,
  summary,
  type ModelLike,
  type ModelState,
} from '../index.js';
import { xorModel } from '../testing/fixtures.js';

const x2d = (name = 'x', width = 2) => input(name, { shape: [null, width] });

/** Every function that compiles a model must reject it the same way. */
function expectCompileError(m: ModelLike, re: RegExp) {
  expect(() => initParams(m)).toThrow(re);
  expect(() => summary(m)).toThrow(re);
  expect(() => exportInference(m, {})).toThrow(re);
}

describe('build-time errors', () => {
  it('dense on a rank-1 input', () => {
    expect(() => input('a', { shape: [null] }).dense(2)).toThrow(/dense: expected an input of rank 2 or more .*got a \[batch\]/);
  });

  for (const units of [0, 1.5, -3, Number.NaN]) {
    it(`dense with units ${units}`, () => {
      expect(() => x2d().dense(units)).toThrow(/dense: units must be a positive integer/);
    });
  }

  it('dense names itself in its errors', () => {
    expect(() => x2d().dense(0, { name: 'head' })).toThrow(/dense 'head': units must be a positive integer, got 0/);
  });

  it('unknown activation, in dense and as a layer', () => {
    expect(() => x2d().dense(2, { activation: 'swish' as never })).toThrow(/unknown activation "swish"; expected one of linear, relu/);
    expect(() => x2d().activation('swish' as never)).toThrow(/activation: unknown activation "swish"/);
    expect(() => x2d().dense(2, { activation: 'toString' as never })).toThrow(/unknown activation "toString"/);
  });

  it('concatenate of mismatched shapes names both', () => {
    const a = input('a', { shape: [null, 2] });
    const b = input('b', { shape: [null, 3, 2] });
    expect(() => a.concatenate(b)).toThrow(/concatenate: cannot concatenate a \[batch, 2\], b \[batch, 3, 2\] along axis 1/);
    const c = input('c', { shape: [null, 3, 2] });
    const d = input('d', { shape: [null, 4, 2] });
    expect(() => c.concatenate(d)).toThrow(/all dimensions but the axis must match/);
    expect(() => concatenate([c, d], { axis: 1 })).not.toThrow();
  });

  it('concatenate of nothing, out-of-range axis, along the batch axis, mixed dtypes', () => {
    expect(() => concatenate([])).toThrow(/concatenate: expected a non-empty array of layer outputs/);
    expect(() => concatenate([x2d('a'), x2d('b')], { axis: 2 })).toThrow(/axis 2 is out of range for inputs of rank 2/);
    expect(() => concatenate([x2d('a'), x2d('b')], { axis: 0 })).toThrow(/cannot concatenate along the batch axis 0/);
    const f64 = input('f', { shape: [null, 2], dtype: 'float64' });
    expect(() => concatenate([x2d('a'), f64])).toThrow(/inputs mix float32 and float64/);
  });

  it('add / subtract / multiply of shapes that do not broadcast', () => {
    const a = x2d('a', 3);
    const b = x2d('b', 4);
    expect(() => add(a, b)).toThrow(/add: shapes of a \[batch, 3\] and b \[batch, 4\] do not match or broadcast/);
    expect(() => subtract(a, b)).toThrow(/subtract: shapes .* do not match or broadcast/);
    expect(() => multiply(a, b, { name: 'm' })).toThrow(/multiply 'm': shapes .* do not match or broadcast/);
    expect(add(a, x2d('c', 1)).shape).toEqual(['batch', 3]);
  });

  it('a layer given something that is not a layer output', () => {
    expect(() => dense({} as never, 2)).toThrow(/dense: expected a layer output/);
    expect(() => concatenate([x2d(), 3 as never])).toThrow(/concatenate: expected a layer output .*got number/);
  });

  it('two inputs with the same name reached by one model: initParams, exportInference and summary name the input', () => {
    const m = input('x', { shape: [null, 1] }).concatenate(input('x', { shape: [null, 1] })).dense(1);
    expectCompileError(m, /two inputs are named 'x'/);
  });

  it('two layers with the same user name', () => {
    const m = x2d().dense(3, { name: 'h' }).dense(2, { name: 'h' });
    expectCompileError(m, /two layers are named 'h'/);
  });

  it('a layer named like an input', () => {
    expectCompileError(x2d('x').dense(3, { name: 'x' }), /named 'x'.* must be unique/);
  });

  it('two model outputs with the same name, and an output named like an input', () => {
    const h = x2d('x').dense(3);
    expect(() => initParams(model([h, h]))).toThrow(/two model outputs are named 'dense_0'/);
    expect(() => initParams(model({ x: h }))).toThrow(/output name 'x' is already an input name/);
    expect(() => model([])).toThrow(/model: expected at least one output/);
  });

  for (const bad of ['', '1x', 'a b', 'a/b', 'é']) {
    it(`invalid name ${JSON.stringify(bad)}`, () => {
      expect(() => input(bad, { shape: [null, 1] })).toThrow(/input: invalid name/);
      expect(() => x2d().dense(2, { name: bad })).toThrow(/invalid name/);
      expect(() => x2d().dropout(0.1, { name: bad })).toThrow(/dropout.*: invalid name/);
    });
  }

  it('valid names with dots, dashes, underscores', () => {
    expect(() => input('_a.b-c1', { shape: [null, 1] }).dense(1, { name: 'h.1-x' })).not.toThrow();
  });

  it('input shape errors', () => {
    expect(() => input('a', { shape: [] })).toThrow(/input 'a': shape must be a non-empty array/);
    expect(() => input('a', {} as never)).toThrow(/input 'a': shape must be a non-empty array/);
    expect(() => input('a', { shape: [null, 0] })).toThrow(/input 'a': dimension 1 is 0; expected a positive integer$/);
    expect(() => input('a', { shape: [null, 2.5] })).toThrow(/dimension 1 is 2.5/);
    expect(() => input('a', { shape: [null, -1] })).toThrow(/dimension 1 is -1/);
    expect(() => input('a', { shape: [2, null] })).toThrow(/input 'a': dimension 1 is null; expected a positive integer$/);
    expect(() => input('a', { shape: [0, 2] })).toThrow(/dimension 0 is 0; expected a positive integer or null \(batch\)/);
    expect(() => input('a', { shape: [null, 2], dtype: 'int8' as never })).toThrow(/^input 'a': dtype "int8" is not supported; expected float32, float64, int32 or int64$/);
  });

  for (const rate of [1, 1.5, -0.1, Number.NaN]) {
    it(`dropout rate ${rate}`, () => {
      expect(() => x2d().dropout(rate)).toThrow(/dropout: rate must be in \[0, 1\)/);
    });
  }

  it('unknown initializer', () => {
    expect(() => x2d().dense(2, { kernelInitializer: 'glorot' as never })).toThrow(/dense kernel: unknown initializer "glorot"/);
    expect(() => x2d().dense(2, { name: 'h', biasInitializer: 'nope' as never })).toThrow(/dense 'h' bias: unknown initializer "nope"/);
    expect(() => x2d().dense(2, { kernelInitializer: { kind: 'uniform', scale: 0 } })).toThrow(/unknown initializer/);
    expect(() => x2d().dense(2, { kernelInitializer: { kind: 'cauchy', scale: 1 } as never })).toThrow(/unknown initializer/);
    expect(() => x2d().dense(2, { kernelInitializer: { kind: 'normal', scale: 0.5 } })).not.toThrow();
  });

  it('initParams with a non-integer seed', () => {
    expect(() => initParams(xorModel(), { seed: 0.5 })).toThrow(/initParams: seed must be an integer/);
  });
});

describe('exportInference checks the state', () => {
  const m = xorModel();
  const good = () => initParams(m, { seed: 1 });

  it('accepts the state initParams made', () => {
    expect(exportInference(m, good())).toBeInstanceOf(Uint8Array);
  });

  it('a missing parameter', () => {
    const { ['dense_1.bias']: _dropped, ...rest } = good();
    expect(() => exportInference(m, rest)).toThrow(/exportInference: parameter 'dense_1.bias' is missing from the state/);
  });

  it('wrong dims', () => {
    const s = good();
    s['dense_0.kernel'] = { data: new Float32Array(16), dims: [8, 2] };
    expect(() => exportInference(m, s)).toThrow(/parameter 'dense_0.kernel' has dims \[8, 2\], expected \[2, 8\]/);
  });

  it('wrong length or array type', () => {
    const s = good();
    s['dense_0.bias'] = { data: new Float32Array(7), dims: [8] };
    expect(() => exportInference(m, s)).toThrow(/parameter 'dense_0.bias' must be a Float32Array of 8 values/);
    const t = good();
    t['dense_0.bias'] = { data: new Float64Array(8), dims: [8] };
    expect(() => exportInference(m, t)).toThrow(/parameter 'dense_0.bias' must be a Float32Array of 8 values/);
  });

  it('an extra key', () => {
    const s: ModelState = { ...good(), 'dense_9.kernel': { data: new Float32Array(1), dims: [1, 1] } };
    expect(() => exportInference(m, s)).toThrow(/the state has parameters this model does not: dense_9.kernel/);
  });

  it('not a record', () => {
    expect(() => exportInference(m, null as never)).toThrow(/exportInference: expected a ModelState record, got null/);
  });
});

describe('summary', () => {
  it('lists the XOR layers, their output shapes and 33 parameters (2·8 + 8 + 8·1 + 1)', () => {
    const text = summary(xorModel());
    for (const name of ['x1 (input)', 'x2 (input)', 'concatenate_0 (concatenate: axis 1)', 'dense_0 (dense: units 8, tanh)', 'dense_1 (dense: units 1, sigmoid)']) {
      expect(text).toContain(name);
    }
    const row = (name: string) => text.split('\n').find((l) => l.startsWith(`${name} `))!;
    expect(row('x1')).toMatch(/\[batch, 1\]\s+0$/);
    expect(row('concatenate_0')).toMatch(/\[batch, 2\]\s+0\s+x1, x2$/);
    expect(row('dense_0')).toMatch(/\[batch, 8\]\s+24\s+concatenate_0$/);
    expect(row('dense_1')).toMatch(/\[batch, 1\]\s+9\s+dense_0$/);
    expect(text.trimEnd().split('\n').at(-1)).toBe('Total parameters: 33');
  });

  it('counts a bias-free layer without its bias and dropout as no parameters', () => {
    const m = dropout(x2d('x', 3).dense(4, { useBias: false }), 0.5).dense(2);
    expect(summary(m)).toContain('Total parameters: 22'); // 3·4 + (4·2 + 2)
    expect(summary(m)).toMatch(/dropout_0 \(dropout: rate 0.5\)\s+\[batch, 4\]\s+0/);
  });

  it('a two-output model shows both heads', () => {
    const h = x2d('x', 2).dense(4, { name: 'trunk' });
    const text = summary(model({ score: h.dense(1), probs: h.dense(3, { activation: 'softmax' }) }));
    expect(text).toMatch(/dense_0 \(dense: units 1\)\s+\[batch, 1\]\s+5\s+trunk/);
    expect(text).toMatch(/dense_1 \(dense: units 3, softmax\)\s+\[batch, 3\]\s+15\s+trunk/);
    expect(text).toContain('Total parameters: 32'); // 2·4+4 + 4·1+1 + 4·3+3
  });
});

describe('state JSON', () => {
  it('round-trips through JSON.stringify bit for bit', () => {
    const state = initParams(xorModel(), { seed: 9 });
    const back = stateFromJSON(JSON.parse(JSON.stringify(stateToJSON(state))));
    expect(Object.keys(back).sort()).toEqual(Object.keys(state).sort());
    for (const [k, t] of Object.entries(state)) {
      const u = back[k]!;
      expect(u.data).toBeInstanceOf(Float32Array);
      expect(u.dims).toEqual(t.dims);
      expect(Buffer.compare(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))).toBe(0);
    }
    expect(Buffer.compare(Buffer.from(exportInference(xorModel(), back)), Buffer.from(exportInference(xorModel(), state)))).toBe(0);
  });

  it('keeps float64 states float64', () => {
    const m = input('x', { shape: [null, 2], dtype: 'float64' }).dense(3);
    const state = initParams(m, { seed: 4 });
    const back = stateFromJSON(JSON.parse(JSON.stringify(stateToJSON(state))));
    expect(back['dense_0.kernel']!.data).toBeInstanceOf(Float64Array);
    expect(Array.from(back['dense_0.kernel']!.data)).toEqual(Array.from(state['dense_0.kernel']!.data));
  });

  const malformed: [string, unknown][] = [
    ['null', null],
    ['an array', []],
    ['a number', 3],
    ['a tensor that is null', { a: null }],
    ['an unknown dtype', { a: { dtype: 'int8', dims: [1], data: [1] } }],
    ['dims not an array', { a: { dtype: 'float32', dims: 2, data: [1, 2] } }],
    ['too few values', { a: { dtype: 'float32', dims: [2, 2], data: [1, 2, 3] } }],
    ['a non-number value', { a: { dtype: 'float32', dims: [2], data: [1, '2'] } }],
    ['missing data', { a: { dtype: 'float32', dims: [1] } }],
    ['negative dims', { a: { dtype: 'float32', dims: [-1, -1], data: [1] } }],
    ['string dims', { a: { dtype: 'float32', dims: ['2'], data: [1, 2] } }],
  ];
  for (const [what, json] of malformed) {
    it(`stateFromJSON rejects ${what}`, () => {
      expect(() => stateFromJSON(json)).toThrow(/^stateFromJSON: /);
    });
  }
});

describe('initialisation streams', () => {
  it('a parameter does not change when another layer is added after it, or before it under another name', () => {
    const x = () => input('x', { shape: [null, 3] });
    const small = x().dense(4, { name: 'body' });
    const shared = x();
    const grown = shared.dense(6, { name: 'stem' }).concatenate(shared.dense(1)).dense(3).add(shared.dense(4, { name: 'body' }).dense(3)).dense(2);
    const [a, b] = [initParams(small, { seed: 5 }), initParams(grown, { seed: 5 })];
    expect(Array.from(b['body.kernel']!.data)).toEqual(Array.from(a['body.kernel']!.data));
    const [c, d] = [initParams(x().dense(4), { seed: 5 }), initParams(x().dense(4).dense(9), { seed: 5 })];
    expect(Array.from(d['dense_0.kernel']!.data)).toEqual(Array.from(c['dense_0.kernel']!.data));
    expect(Array.from(initParams(small, { seed: 6 })['body.kernel']!.data)).not.toEqual(Array.from(a['body.kernel']!.data));
  });
});
