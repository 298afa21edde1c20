import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { exportTrainStep, initParams } from '@onnxpipe/graph-builder';
import { backend } from '@onnxpipe/runtime';
import { earlyStop, trainer, type Batch } from '../node.js';
import { createSession, hostCopier, type SessionSettings } from './session.js';
import { xorBatches, xorModel } from '../testing/fixtures.js';

// The WebGPU provider bundled in onnxruntime-node runs here on Mesa's CPU-emulated Vulkan
// device (lavapipe; .ci/system-deps.sh installs it): these tests check the device path for
// correctness, never its speed.
const webgpu: SessionSettings = { device: 'webgpu' };

describe('webgpu device path', () => {
  it('keeps updated parameters on the device and copies them back on request', async () => {
    const model = xorModel();
    const { bytes, signature: sig } = exportTrainStep(model, { loss: 'binary_cross_entropy', optimizer: 'sgd' });
    const session = await createSession(backend, bytes, webgpu, undefined, sig.params.map((p) => p.next));
    const params = initParams(model, { seed: 3 });
    const [inputs, target] = xorBatches(32, 5).next().value as Batch<{ data: Float32Array; dims: number[] }>;
    const feeds: Record<string, ort.Tensor> = {
      x1: new ort.Tensor('float32', inputs.x1!.data, inputs.x1!.dims),
      x2: new ort.Tensor('float32', inputs.x2!.data, inputs.x2!.dims),
      target: new ort.Tensor('float32', target.data, target.dims),
      lr: new ort.Tensor('float32', [0.1], []),
      step: new ort.Tensor('float32', [1], []),
    };
    for (const p of sig.params) feeds[p.name] = new ort.Tensor('float32', params[p.name]!.data, p.dims);
    const out = await session.run(feeds);
    for (const p of sig.params) expect(out[p.next]!.location).toBe('gpu-buffer');
    expect(out.loss!.location).toBe('cpu');

    const copier = hostCopier(backend, webgpu, sig.params.map((p) => ({ name: p.name, dtype: 'float32', dims: p.dims })));
    const host = await copier.toHost(Object.fromEntries(sig.params.map((p) => [p.name, out[p.next]!])));
    const cpu = await ort.InferenceSession.create(bytes);
    const reference = await cpu.run(feeds);
    for (const p of sig.params) {
      const expected = reference[p.next]!.data as Float32Array;
      host[p.name]!.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    }
    await Promise.all([session.release(), cpu.release(), copier.release()]);
  });

  it('trains XOR on webgpu to the same parameters as on the cpu', async () => {
    const run = (device: 'cpu' | 'webgpu') =>
      trainer(xorModel(), 'binary_cross_entropy', 'adam', { seed: 1, log: 0, device }).run(xorBatches(32, 3) as Iterable<Batch>, {}, { iterations: 60, stepsPerRun: 8 });
    const [cpu, gpu] = [await run('cpu'), await run('webgpu')];
    for (const name of Object.keys(cpu)) gpu[name]!.data.forEach((v, i) => expect(v).toBeCloseTo(cpu[name]!.data[i]!, 4));
  });

  it('restoreBest on webgpu: the best epoch is restored from device-resident state, as on the cpu', async () => {
    const data = Array.from({ length: 4 }, ((source) => () => source.next().value as Batch)(xorBatches(16, 9)));
    const run = async (device: 'cpu' | 'webgpu') => {
      let epoch = 0;
      const steps: number[] = [];
      const state = await trainer(xorModel(), 'binary_cross_entropy', 'adam', { seed: 1, log: 0, device })
        .on('epochStarted', (s) => void (epoch = s.epoch))
        .metric(() => [3, 1, 2, 2, 2][epoch]!, 'score')
        .handle(earlyStop({ monitor: 'score', patience: 2, restoreBest: true }))
        .on('completed', (s) => void steps.push(s.step))
        .run(data, {}, { epochs: 5, stepsPerRun: 2 });
      return { state, steps };
    };
    const [cpu, gpu] = [await run('cpu'), await run('webgpu')];
    expect(gpu.steps).toEqual([8]);
    expect(cpu.steps).toEqual([8]);
    for (const name of Object.keys(cpu.state)) gpu.state[name]!.data.forEach((v, i) => expect(v).toBeCloseTo(cpu.state[name]!.data[i]!, 4));
  });
});
