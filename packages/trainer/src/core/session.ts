import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { ModelState } from '@onnxpipe/graph-builder';
import type { PreparedTensor } from '@onnxpipe/runtime';
import { DeviceError } from './errors.js';
import type { Device, OrtModule } from './types.js';
import type { PreparedBatch } from './batches.js';

export interface SessionSettings {
  readonly device: Device;
  /** The provider that 'cpu' means for this onnxruntime module ('cpu' in Node, 'wasm' on the web). */
  readonly cpuProvider: string;
  readonly intraOpNumThreads?: number;
  readonly interOpNumThreads?: number;
}

const devices: readonly Device[] = ['cpu', 'cuda', 'webgpu'];

/** Check that the device is known and that this onnxruntime build has it. */
export function checkDevice(ort: OrtModule, settings: SessionSettings): string {
  const { device } = settings;
  if (!devices.includes(device)) throw new DeviceError(`unknown device ${JSON.stringify(device)}; expected one of ${devices.join(', ')}`);
  if (device === 'cpu') return settings.cpuProvider;
  const backends = ort.listSupportedBackends?.();
  if (backends) {
    const available = backends.filter((b) => b.bundled).map((b) => (b.name === settings.cpuProvider ? 'cpu' : b.name));
    if (!available.includes(device)) {
      const hint = device === 'cuda' ? " (onnxruntime-node's CUDA provider is downloaded by its install script: see the trainer README)" : '';
      throw new DeviceError(`device '${device}' is not available in this onnxruntime build${hint}; available: ${available.join(', ')}`);
    }
  }
  return device;
}

export async function createSession(ort: OrtModule, bytes: Uint8Array, settings: SessionSettings, deviceOutputs: readonly string[] = []): Promise<InferenceSession> {
  const provider = checkDevice(ort, settings);
  const options: InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    ...(settings.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: settings.intraOpNumThreads }),
    ...(settings.interOpNumThreads === undefined ? {} : { interOpNumThreads: settings.interOpNumThreads }),
    ...(provider !== settings.cpuProvider && deviceOutputs.length > 0
      ? { preferredOutputLocation: Object.fromEntries(deviceOutputs.map((n) => [n, 'gpu-buffer' as const])) }
      : {}),
  };
  try {
    return await ort.InferenceSession.create(bytes, options);
  } catch (error) {
    if (provider === settings.cpuProvider) throw error;
    throw new DeviceError(`device '${settings.device}' could not start: ${(error as Error).message}`, { cause: error });
  }
}

/** Host copies of tensors that may live on the device. */
export async function download(tensors: Readonly<Record<string, Tensor>>, dims: (name: string) => readonly number[]): Promise<ModelState> {
  const state: ModelState = {};
  for (const [name, t] of Object.entries(tensors)) {
    const data = t.location === 'cpu' ? t.data : await t.getData();
    state[name] = { data: data as Float32Array | Float64Array, dims: [...dims(name)] };
  }
  return state;
}

/** Feeds for the data inputs and targets: one batch as is, or K batches stacked along a new leading axis. */
export function batchFeeds(ort: OrtModule, chunk: readonly PreparedBatch[], fused: boolean): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const name of Object.keys(chunk[0]!.tensors)) {
    const first = chunk[0]!.tensors[name]!;
    feeds[name] = fused ? stack(ort, chunk.map((b) => b.tensors[name]!)) : new ort.Tensor(first.dtype as 'float32', first.data, first.dims);
  }
  return feeds;
}

function stack(ort: OrtModule, parts: readonly PreparedTensor[]): Tensor {
  const first = parts[0]!;
  const size = first.data.length;
  const Ctor = first.data.constructor as new (n: number) => Float32Array;
  const data = new Ctor(size * parts.length);
  parts.forEach((p, i) => data.set(p.data as Float32Array, i * size));
  return new ort.Tensor(first.dtype as 'float32', data, [parts.length, ...first.dims]);
}

