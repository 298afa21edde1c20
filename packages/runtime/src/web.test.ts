import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { env } from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel as loadNodeModel } from './node.js';
import { affineForward, affineModel } from './testing/handmade-model.js';
import { loadModel, ModelLoadError, RuntimeInputError, type NestedNumbers } from './web.js';

const A = [
  [0.3, -1.2],
  [2.5, 0.1],
  [-0.7, -0.9],
  [4, -4],
];
const FEATURES = [
  [1, 0.5, -2],
  [0.25, -3, 4],
  [0, 0, 0],
  [-1, 2, 0.5],
];

function expectAllClose(actual: NestedNumbers | undefined, expected: NestedNumbers | undefined): void {
  if (Array.isArray(expected)) {
    expect(actual).toHaveLength(expected.length);
    expected.forEach((e, i) => expectAllClose((actual as readonly NestedNumbers[])[i], e));
  } else {
    expect(actual).toBeCloseTo(expected as number, 5);
  }
}

let server: Server;
let baseUrl: string;

beforeAll(async () => {
  env.wasm.numThreads = 1;
  server = createServer((request, response) => {
    if (request.url === '/affine.onnx') response.end(affineModel());
    else response.writeHead(404, 'Not Found').end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('loadModel (web, wasm under Node)', () => {
  it('gives the same outputs as the node entry', async () => {
    const web = await loadModel(affineModel());
    const node = await loadNodeModel(affineModel());
    expect(web.inputs).toEqual(node.inputs);
    expect(web.outputs).toEqual(node.outputs);
    const fromWeb = await web.predict({ a: A, features: FEATURES });
    const fromNode = await node.predict({ a: A, features: FEATURES });
    for (const name of ['y', 'relu']) {
      expect(fromWeb[name]?.dims).toEqual(fromNode[name]?.dims);
      expect(fromWeb[name]?.data).toBeInstanceOf(Float32Array);
      expectAllClose(fromWeb[name]?.toArray(), fromNode[name]?.toArray());
    }
    expectAllClose(fromWeb.y?.toArray(), affineForward(A, FEATURES).y);
    const rows = A.map((a, i) => ({ a, features: FEATURES[i] as number[] }));
    const [webRows, nodeRows] = await Promise.all([web.predictBatch(rows), node.predictBatch(rows)]);
    expect(webRows).toHaveLength(rows.length);
    webRows.forEach((row, i) => {
      expect(Object.keys(row)).toEqual(['y', 'relu']);
      expectAllClose(row.y, nodeRows[i]?.y);
      expectAllClose(row.relu, nodeRows[i]?.relu);
    });
    await Promise.all([web.close(), node.close()]);
  });

  it('treats a string as a URL and fetches it', async () => {
    const model = await loadModel(`${baseUrl}/affine.onnx`);
    expect(model.inputs.map((i) => i.name)).toEqual(['a', 'features']);
    await model.close();
    await expect(loadModel(`${baseUrl}/missing.onnx`)).rejects.toThrow(/cannot fetch model from '.*\/missing\.onnx': HTTP 404/);
    await expect(loadModel('relative/model.onnx')).rejects.toBeInstanceOf(ModelLoadError);
  });

  it('validates inputs the same way', async () => {
    const model = await loadModel(affineModel());
    const running = model.predict({ a: [[1, 2]], features: [[1, 2]] });
    await expect(running).rejects.toThrow(/input 'features': expected shape \[N, 3\], got \[1, 2\]/);
    await expect(running).rejects.toBeInstanceOf(RuntimeInputError);
    await model.close();
  });
});
