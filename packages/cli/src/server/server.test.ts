import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '@onnxpipe/runtime';
import type { ModelState } from '@onnxpipe/graph-builder';
import { affineForward, affineModel, float16Model } from '../testing/handmade-models.js';
import { xorByHand, xorModel } from '../testing/xor-model.js';
import { VERSION } from '../version.js';
import { createServer } from './server.js';

let model: Model;
let state: ModelState;
let app: ReturnType<typeof createServer>;
beforeAll(async () => {
  const xor = xorModel();
  state = xor.state;
  model = await loadModel(xor.bytes);
  app = createServer(model, { name: 'xor' });
});
afterAll(async () => {
  await app.close();
  await model.close();
});

const pair = (x1: unknown = [0], x2: unknown = [1]) => ({
  inputs: [
    { name: 'x1', shape: [1, 1], datatype: 'FP32', data: x1 },
    { name: 'x2', shape: [1, 1], datatype: 'FP32', data: x2 },
  ],
});
const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, payload: typeof payload === 'string' ? payload : JSON.stringify(payload), headers: { 'content-type': 'application/json', ...headers } });
const infer = (payload: unknown) => post('/v2/models/xor/infer', payload);

describe('createServer: Open Inference Protocol v2', () => {
  it('answers health and server metadata', async () => {
    expect((await app.inject('/v2/health/live')).json()).toEqual({ live: true });
    expect((await app.inject('/v2/health/ready')).json()).toEqual({ ready: true });
    expect((await app.inject('/v2')).json()).toEqual({ name: 'onnxpipe', version: VERSION, extensions: [] });
  });

  it('describes the model with -1 for symbolic dimensions', async () => {
    const response = await app.inject('/v2/models/xor');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      name: 'xor',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'x1', datatype: 'FP32', shape: [-1, 1] },
        { name: 'x2', datatype: 'FP32', shape: [-1, 1] },
      ],
      outputs: [{ name: 'dense_1', datatype: 'FP32', shape: [-1, 1] }],
    });
    expect((await app.inject('/v2/models/xor/ready')).json()).toEqual({ name: 'xor', ready: true });
  });

  it('infers one pair, echoing the id', async () => {
    const response = await infer({ id: 'req-1', ...pair() });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ model_name: 'xor', id: 'req-1', outputs: [{ name: 'dense_1', datatype: 'FP32', shape: [1, 1] }] });
    expect(body.outputs[0].data[0]).toBeCloseTo(xorByHand(state, 0, 1), 5);
  });

  it('infers a batch with flat or nested data, like model.predict', async () => {
    const x1 = [0, 0, 1, 1];
    const x2 = [0, 1, 0, 1];
    const expected = await model.predict({ x1: x1.map((v) => [v]), x2: x2.map((v) => [v]) });
    const flat = await infer({ inputs: [{ name: 'x1', shape: [4, 1], datatype: 'FP32', data: x1 }, { name: 'x2', shape: [4, 1], datatype: 'FP32', data: x2 }] });
    const nested = await infer({
      inputs: [{ name: 'x2', shape: [4, 1], datatype: 'FP32', data: x2.map((v) => [v]) }, { name: 'x1', shape: [4, 1], datatype: 'FP32', data: x1.map((v) => [v]) }],
    });
    for (const response of [flat, nested]) {
      expect(response.statusCode).toBe(200);
      expect(response.json().outputs[0]).toEqual({ name: 'dense_1', datatype: 'FP32', shape: [4, 1], data: Array.from(expected.dense_1!.data as Float32Array) });
    }
    expect(flat.json()).not.toHaveProperty('id');
  });

  it('answers concurrent requests of different sizes with their own rows', async () => {
    const sizes = [1, 3, 2, 5, 1, 4];
    const requests = sizes.map((n, k) => {
      const x1 = Array.from({ length: n }, (_, i) => (i + k) % 2);
      const x2 = Array.from({ length: n }, (_, i) => (i * k) % 2);
      return { x1, x2 };
    });
    const responses = await Promise.all(
      requests.map(({ x1, x2 }) =>
        infer({ inputs: [{ name: 'x1', shape: [x1.length, 1], datatype: 'FP32', data: x1 }, { name: 'x2', shape: [x2.length, 1], datatype: 'FP32', data: x2 }] }),
      ),
    );
    const predicted = await Promise.all(requests.map(({ x1, x2 }) => post('/predict', { x1: x1.map((v) => [v]), x2: x2.map((v) => [v]) })));
    for (const [k, { x1, x2 }] of requests.entries()) {
      const expected = x1.map((a, i) => xorByHand(state, a, x2[i]!));
      const data = responses[k]!.json().outputs[0].data as number[];
      expect(data).toHaveLength(expected.length);
      data.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
      expect((predicted[k]!.json().dense_1 as number[][]).map((r) => r[0])).toEqual(data);
    }
  });

  it('serves the model as version 1 under /versions/1, and no other version', async () => {
    expect((await app.inject('/v2/models/xor/versions/1')).json()).toEqual((await app.inject('/v2/models/xor')).json());
    expect((await app.inject('/v2/models/xor/versions/1/ready')).json()).toEqual({ name: 'xor', ready: true });
    const response = await post('/v2/models/xor/versions/1/infer', { id: 'v', ...pair([1], [0]) });
    expect(response.statusCode).toBe(200);
    expect(response.json().outputs[0].data[0]).toBeCloseTo(xorByHand(state, 1, 0), 5);
    for (const url of ['/v2/models/xor/versions/2', '/v2/models/xor/versions/2/ready', '/v2/models/xor/versions/latest/infer']) {
      const missing = await app.inject({ method: url.endsWith('infer') ? 'POST' : 'GET', url, payload: pair() });
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error).toMatch(/^model 'xor' has no version '(2|latest)'; this server serves version 1$/);
    }
    const other = await app.inject('/v2/models/other/versions/1');
    expect(other.json()).toEqual({ error: "unknown model 'other'; this server serves 'xor'" });
  });

  it.each([
    ['a wrong datatype', { inputs: [{ ...pair().inputs[0]!, datatype: 'FP64' }, pair().inputs[1]] }, /^input 'x1' has datatype "FP64", but the model expects FP32$/],
    ['an unknown datatype', { inputs: [{ ...pair().inputs[0]!, datatype: 'FLOAT' }, pair().inputs[1]] }, /^input 'x1' has datatype "FLOAT", but the model expects FP32$/],
    ['more data than the shape', pair([0, 1]), /^input 'x1': data has 2 values but shape \[1, 1\] needs 1$/],
    ['less data than the shape', pair([]), /^input 'x1': data has 0 values but shape \[1, 1\] needs 1$/],
    ['a missing input', { inputs: [pair().inputs[0]] }, /^missing input 'x2'; the model expects inputs: x1, x2$/],
    ['an unknown input', { inputs: [...pair().inputs, { name: 'x3', shape: [1], datatype: 'FP32', data: [0] }] }, /^unknown input 'x3'; the model expects inputs: x1, x2$/],
    ['an input twice', { inputs: [...pair().inputs, pair().inputs[0]] }, /^input 'x1' is given more than once$/],
    ['a wrong width', { inputs: [{ name: 'x1', shape: [1, 2], datatype: 'FP32', data: [0, 1] }, pair().inputs[1]] }, /^input 'x1': expected shape \[batch, 1\], got \[1, 2\]$/],
    ['batch sizes that differ', { inputs: [{ name: 'x1', shape: [2, 1], datatype: 'FP32', data: [0, 1] }, pair().inputs[1]] }, /^inputs 'x1' and 'x2' disagree on dimension 'batch': 2 vs 1$/],
    ['a string value', pair(['0']), /^input 'x1': data value 0 is a string \("0"\), expected a number$/],
    ['a null value', pair([[null]]), /^input 'x1': data value 0 is null, expected a number$/],
    ['data nested too deeply', pair(JSON.parse(`${'['.repeat(40)}0${']'.repeat(40)}`)), /^input 'x1': data nests deeper than 32 levels$/],
    ['an unknown output', { ...pair(), outputs: [{ name: 'y' }] }, /^unknown output 'y'; the model has outputs: dense_1$/],
    ['no inputs field', { id: 'a' }, /^body must have required property 'inputs'$/],
    ['an empty inputs list', { inputs: [] }, /^body\/inputs must NOT have fewer than 1 items$/],
    ['a negative dimension', { inputs: [{ ...pair().inputs[0]!, shape: [-1, 1] }, pair().inputs[1]] }, /^body\/inputs\/0\/shape\/0 must be >= 0$/],
    ['a string dimension', { inputs: [{ ...pair().inputs[0]!, shape: ['1', 1] }, pair().inputs[1]] }, /^body\/inputs\/0\/shape\/0 must be integer$/],
    ['an input without data', { inputs: [{ name: 'x1', shape: [1, 1], datatype: 'FP32' }] }, /^body\/inputs\/0 must have required property 'data'$/],
    ['a numeric id', { id: 7, ...pair() }, /^body\/id must be string$/],
    ['a body that is an array', [pair()], /^body must be object$/],
  ])('answers 400 to %s', async (_, payload, message) => {
    const response = await infer(payload);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatch(message);
  });

  it.each([
    ['GET', '/v2/models/other'],
    ['GET', '/v2/models/other/ready'],
    ['POST', '/v2/models/other/infer'],
  ] as const)('answers 404 to %s %s: an unknown model', async (method, url) => {
    const response = await app.inject({ method, url, ...(method === 'POST' ? { payload: pair() } : {}) });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: "unknown model 'other'; this server serves 'xor'" });
  });

  it('answers 404 to an unknown route and 405 to a wrong method', async () => {
    const missing = await app.inject('/v2/nothing');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'no route GET /v2/nothing' });
    const get = await app.inject('/v2/models/xor/infer');
    expect(get.statusCode).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect(get.json()).toEqual({ error: 'method GET is not allowed on /v2/models/xor/infer; use POST' });
    const del = await app.inject({ method: 'DELETE', url: '/v2/health/live' });
    expect(del.statusCode).toBe(405);
    expect(del.headers.allow).toBe('GET, HEAD');
    expect(del.json().error).toMatch(/^method DELETE is not allowed on \/v2\/health\/live; use GET or HEAD$/);
  });

  it('answers 400 to invalid JSON and an empty body, 415 to other content types', async () => {
    const invalid = await infer('{"inputs": [');
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error).toMatch(/JSON/);
    const empty = await app.inject({ method: 'POST', url: '/v2/models/xor/infer', headers: { 'content-type': 'application/json' } });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error).toMatch(/empty/i);
    const text = await post('/v2/models/xor/infer', 'x1=0', { 'content-type': 'text/plain' });
    expect(text.statusCode).toBe(415);
    expect(text.json().error).toBe('unsupported content type "text/plain"; send JSON with content-type: application/json');
    const form = await post('/predict', 'x1=0', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.statusCode).toBe(415);
    const none = await app.inject({ method: 'POST', url: '/predict', payload: Buffer.from('{}') });
    expect(none.statusCode).toBe(415);
    expect(none.json().error).toMatch(/^unsupported content type "none"/);
  });
});

/** A server over the model in `bytes`, opened before the enclosing describe block's tests and closed after them. */
function serving(bytes: () => Uint8Array, name: string): { server: ReturnType<typeof createServer> } {
  const opened = {} as { server: ReturnType<typeof createServer>; model: Model };
  beforeAll(async () => {
    opened.model = await loadModel(bytes());
    opened.server = createServer(opened.model, { name });
  });
  afterAll(async () => {
    await opened.server.close();
    await opened.model.close();
  });
  return opened;
}

describe('createServer: a model with two outputs', () => {
  const served = serving(affineModel, 'affine');
  const a = [[0.3, -1.2], [2.5, 0.1]];
  const features = [[1, 0.5, -2], [0.25, -3, 4]];
  const request = (outputs?: { name: string }[]) =>
    served.server.inject({
      method: 'POST',
      url: '/v2/models/affine/infer',
      payload: {
        inputs: [
          { name: 'a', shape: [2, 2], datatype: 'FP32', data: a },
          { name: 'features', shape: [2, 3], datatype: 'FP32', data: features },
        ],
        ...(outputs ? { outputs } : {}),
      },
    });
  const expected = affineForward(a, features);
  const expectOutput = (output: { name: string; shape: number[]; data: number[] }, name: 'y' | 'relu') => {
    expect(output.name).toBe(name);
    expect(output.shape).toEqual([2, 2]);
    output.data.forEach((v, i) => expect(v).toBeCloseTo(expected[name].flat()[i]!, 5));
  };

  it('returns every output without a selection', async () => {
    const { outputs } = (await request()).json();
    expect(outputs).toHaveLength(2);
    expectOutput(outputs[0], 'y');
    expectOutput(outputs[1], 'relu');
  });

  it('returns only the outputs a request names, in its order, each once', async () => {
    const relu = (await request([{ name: 'relu' }])).json().outputs;
    expect(relu).toHaveLength(1);
    expectOutput(relu[0], 'relu');
    const both = (await request([{ name: 'relu' }, { name: 'y' }, { name: 'relu' }])).json().outputs;
    expect(both.map((o: { name: string }) => o.name)).toEqual(['relu', 'y']);
    expectOutput(both[0], 'relu');
    expectOutput(both[1], 'y');
  });
});

describe('createServer: a float16 model', () => {
  const served = serving(float16Model, 'half');
  const inputs = (hType = 'FP16') => [
    { name: 'h', shape: [4], datatype: hType, data: [1 / 3, 1 + 2 ** -11 + 2 ** -40, 65504, 70000] },
    { name: 'f', shape: [4], datatype: 'FP32', data: [1 / 3, 1, 2, 3] },
  ];

  it('describes float16 tensors as FP16', async () => {
    const metadata = (await served.server.inject('/v2/models/half')).json();
    expect(metadata.inputs[0]).toEqual({ name: 'h', datatype: 'FP16', shape: [-1] });
    expect(metadata.outputs.map((o: { datatype: string }) => o.datatype)).toEqual(['FP16', 'FP32', 'FP16']);
  });

  it('takes FP16 data as numbers, rounded once to the nearest float16, and answers with numbers', async () => {
    const response = await served.server.inject({ method: 'POST', url: '/v2/models/half/infer', payload: { inputs: inputs() } });
    expect(response.statusCode).toBe(200);
    const [copy, asFloat, fAsHalf] = response.json().outputs;
    // By hand: 1/3 -> 0x3555; 1 + 2^-11 + 2^-40 is past the tie -> 1 + 2^-10; 65504 is the largest float16; 70000 overflows.
    const rounded = [0.333251953125, 1 + 2 ** -10, 65504, null];
    expect(copy).toEqual({ name: 'h_copy', datatype: 'FP16', shape: [4], data: rounded });
    expect(asFloat.data).toEqual(rounded);
    expect(fAsHalf.data).toEqual([0.333251953125, 1, 2, 3]);
  });

  it('still refuses a datatype other than the declared one', async () => {
    const response = await served.server.inject({ method: 'POST', url: '/v2/models/half/infer', payload: { inputs: inputs('FP32') } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe(`input 'h' has datatype "FP32", but the model expects FP16`);
  });
});

describe('createServer: POST /predict', () => {
  it('predicts nested inputs like model.predict', async () => {
    const response = await post('/predict', { x1: [[0], [1]], x2: [[1], [1]] });
    expect(response.statusCode).toBe(200);
    const expected = await model.predict({ x1: [[0], [1]], x2: [[1], [1]] });
    expect(response.json()).toEqual({ dense_1: expected.dense_1!.toArray() });
  });

  it.each([
    ['an unknown input', { x1: [[0]], x3: [[1]] }, /^unknown input 'x3'; the model expects inputs: x1, x2$/],
    ['a missing input', { x1: [[0]] }, /^missing input 'x2'; the model expects inputs: x1, x2$/],
    ['a wrong width', { x1: [[0, 1]], x2: [[1, 1]] }, /^input 'x1': expected shape \[batch, 1\], got \[1, 2\]$/],
    ['ragged rows', { x1: [[0], [1, 2]], x2: [[1], [1]] }, /^input 'x1' is ragged: row 1 has 2 values, row 0 has 1$/],
    ['a string value', { x1: [['a']], x2: [[1]] }, /^input 'x1': value at \[0, 0\] is a string \("a"\), expected a number$/],
    ['an object value', { x1: { a: 1 }, x2: [[1]] }, /^body\/x1 must be array,number$/],
    ['an empty object', {}, /^body must NOT have fewer than 1 properties$/],
    ['deep nesting', { x1: JSON.parse(`${'['.repeat(40)}0${']'.repeat(40)}`), x2: [[1]] }, /^input 'x1' nests deeper than 32 levels$/],
  ])('answers 400 to %s', async (_, payload, message) => {
    const response = await post('/predict', payload);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatch(message);
  });
});

describe('createServer: limits', () => {
  let small: ReturnType<typeof createServer>;
  beforeAll(() => {
    small = createServer(model, { name: 'xor', maxBodyBytes: 2048, maxElements: 100 });
  });
  afterAll(() => small.close());
  const send = (url: string, payload: unknown) =>
    small.inject({ method: 'POST', url, payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } });

  it('answers 413 to a body over --max-body-bytes', async () => {
    const response = await send('/v2/models/xor/infer', { ...pair(), id: 'x'.repeat(4096) });
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toBe('the request body is larger than 2048 bytes, the limit');
  });

  it('answers 413 to more elements than --max-elements, before reading the data', async () => {
    const response = await send('/v2/models/xor/infer', {
      inputs: [{ name: 'x1', shape: [60, 1], datatype: 'FP32', data: [] }, { name: 'x2', shape: [60, 1], datatype: 'FP32', data: [] }],
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toBe("the request's input tensors hold 120 elements, over the limit of 100");
    const huge = await send('/v2/models/xor/infer', { inputs: [{ name: 'x1', shape: [1e9, 1e9], datatype: 'FP32', data: [] }] });
    expect(huge.statusCode).toBe(413);
    const predict = await send('/predict', { x1: Array.from({ length: 60 }, () => [0]), x2: Array.from({ length: 60 }, () => [1]) });
    expect(predict.statusCode).toBe(413);
    expect(predict.json().error).toBe("the request's inputs hold more than 100 elements, the limit");
  });

  it('accepts requests at the limits', async () => {
    const column = Array.from({ length: 50 }, () => 0);
    const response = await send('/v2/models/xor/infer', {
      inputs: [{ name: 'x1', shape: [50, 1], datatype: 'FP32', data: column }, { name: 'x2', shape: [50, 1], datatype: 'FP32', data: column }],
    });
    expect(response.statusCode).toBe(200);
  });
});

describe('createServer when onnxruntime fails', () => {
  it('answers 500 and tells onServerError', async () => {
    const broken = { ...model, predict: () => Promise.reject(new Error('kernel exploded')) } as Model;
    const seen: string[] = [];
    const server = createServer(broken, { name: 'xor', onServerError: (error, request) => seen.push(`${request.method} ${request.url}: ${error.message}`) });
    try {
      const response = await server.inject({ method: 'POST', url: '/v2/models/xor/infer', payload: pair() });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({ error: 'inference failed: kernel exploded' });
      expect(seen).toEqual(['POST /v2/models/xor/infer: kernel exploded']);
    } finally {
      await server.close();
    }
  });
});

describe('batching by default only for models onnxpipe exported', () => {
  for (const [producer, calls] of [['onnxpipe', 1], ['some-other-exporter', 2]] as const) {
    it(`${producer}: two concurrent requests make ${calls} onnxruntime call(s)`, async () => {
      let predictions = 0;
      const spy: typeof model = {
        ...model,
        inputs: model.inputs,
        outputs: model.outputs,
        producer: { ...model.producer, name: producer },
        predict: (inputs) => {
          predictions++;
          return model.predict(inputs);
        },
      };
      const server = createServer(spy, { name: 'xor' });
      try {
        const [a, b] = await Promise.all([
          server.inject({ method: 'POST', url: '/predict', payload: { x1: [[1]], x2: [[0]] } }),
          server.inject({ method: 'POST', url: '/predict', payload: { x1: [[1]], x2: [[1]] } }),
        ]);
        expect(a.json().dense_1[0][0]).toBeCloseTo(xorByHand(state, 1, 0), 5);
        expect(b.json().dense_1[0][0]).toBeCloseTo(xorByHand(state, 1, 1), 5);
        expect(predictions).toBe(calls);
      } finally {
        await server.close();
      }
    });
  }
});

describe('createServer without batching', () => {
  it('answers like with batching', async () => {
    const plain = createServer(model, { name: 'xor', batching: false });
    try {
      const response = await plain.inject({ method: 'POST', url: '/v2/models/xor/infer', payload: pair([1], [1]) });
      expect(response.json().outputs[0].data[0]).toBeCloseTo(xorByHand(state, 1, 1), 5);
      const predicted = await plain.inject({ method: 'POST', url: '/predict', payload: { x1: [[1]], x2: [[0]] } });
      expect(predicted.json().dense_1[0][0]).toBeCloseTo(xorByHand(state, 1, 0), 5);
    } finally {
      await plain.close();
    }
  });
});

describe('createServer over a socket', () => {
  it('listens on 127.0.0.1 and serves infer', async () => {
    const server = createServer(model, { name: 'xor' });
    try {
      const address = await server.listen({ host: '127.0.0.1', port: 0 });
      const response = await fetch(`${address}/v2/models/xor/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(pair([1], [0])) });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { outputs: { data: number[] }[] };
      expect(body.outputs[0]!.data[0]).toBeCloseTo(xorByHand(state, 1, 0), 5);
    } finally {
      await server.close();
    }
  });
});
