import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { exportCopy, type ModelState } from '@onnxpipe/graph-builder';
import { chooseThreads, threadOptions, type OrtBackend } from '@onnxpipe/runtime';
import { DeviceError } from './errors.js';
import type { Device } from './types.js';
import type { PreparedBatch } from './batches.js';

export interface SessionSettings {
  readonly device: Device;
  readonly intraOpNumThreads?: number;
  readonly interOpNumThreads?: number;
}

const devices: readonly Device[] = ['cpu', 'cuda', 'webgpu'];

const CUDA_HINT = " (onnxruntime-node's CUDA provider is downloaded by its install script, which pnpm, `npm install --ignore-scripts` and ONNXRUNTIME_NODE_INSTALL=skip do not run: see the @onnxpipe/trainer README)";

/** The providers of this onnxruntime build that work without extra downloads, by device name. */
function bundledDevices(backend: OrtBackend): string[] {
  const listed = backend.listSupportedBackends?.() ?? [{ name: backend.cpuProvider, bundled: true }];
  return listed.filter((b) => b.bundled).map((b) => (b.name === backend.cpuProvider ? 'cpu' : b.name));
}

/** Check that the device is known and listed by this onnxruntime build; returns its provider. */
export function checkDevice(backend: OrtBackend, settings: SessionSettings): string {
  const { device } = settings;
  if (!devices.includes(device)) throw new DeviceError(`unknown device ${JSON.stringify(device)}; expected one of ${devices.join(', ')}`);
  if (device === 'cpu') return backend.cpuProvider;
  const listed = backend.listSupportedBackends?.().map((b) => b.name);
  if (listed && !listed.includes(device)) {
    throw new DeviceError(`device '${device}' is not available in this onnxruntime build; available: ${bundledDevices(backend).join(', ')}`);
  }
  return device;
}

/** Intra-op thread options: as the settings pin them, else chosen on the CPU from the FLOPs of one step (runtime's chooseThreads). */
function threadSettings(backend: OrtBackend, settings: SessionSettings, provider: string, flopsPerStep: number | undefined): InferenceSession.SessionOptions {
  if (settings.intraOpNumThreads !== undefined) return { intraOpNumThreads: settings.intraOpNumThreads };
  if (provider !== backend.cpuProvider || backend.cores === undefined || flopsPerStep === undefined) return {};
  return threadOptions(chooseThreads(flopsPerStep, backend.cores));
}

/** A session for a model; `flopsPerStep` (an estimate of one step's work) sets the CPU's intra-op threads unless the settings pin them. */
export async function createSession(backend: OrtBackend, bytes: Uint8Array, settings: SessionSettings, flopsPerStep: number | undefined, deviceOutputs: readonly string[] = []): Promise<InferenceSession> {
  const provider = checkDevice(backend, settings);
  const options: InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    // Warnings such as "some nodes were not assigned to the preferred execution provider"
    // (shape ops stay on the CPU by design) are noise for a training loop.
    logSeverityLevel: 3,
    ...threadSettings(backend, settings, provider, flopsPerStep),
    ...(settings.interOpNumThreads === undefined ? {} : { interOpNumThreads: settings.interOpNumThreads }),
    ...(provider !== backend.cpuProvider && deviceOutputs.length > 0
      ? { preferredOutputLocation: Object.fromEntries(deviceOutputs.map((n) => [n, 'gpu-buffer' as const])) }
      : {}),
  };
  try {
    return await backend.InferenceSession.create(bytes, options);
  } catch (error) {
    if (provider === backend.cpuProvider) throw error;
    const reason = (error as Error).message.split('\n')[0];
    const hint = settings.device === 'cuda' ? CUDA_HINT : '';
    throw new DeviceError(
      `device '${settings.device}' is not available in this onnxruntime build${hint}; available: ${bundledDevices(backend).join(', ')} (onnxruntime said: ${reason})`,
      { cause: error },
    );
  }
}

export interface TensorSpec {
  readonly name: string;
  readonly dtype: 'float32' | 'float64';
  readonly dims: readonly number[];
}

/**
 * Host copies of tensors that may live on the device. onnxruntime-node cannot read a
 * gpu-buffer tensor directly (getData aborts the process), so device tensors go through a
 * copy model run on the same device, whose outputs land on the host.
 */
export function hostCopier(backend: OrtBackend, settings: SessionSettings, specs: readonly TensorSpec[]) {
  let copy: Promise<InferenceSession> | undefined;
  const dims = new Map(specs.map((s) => [s.name, s.dims]));
  return {
    async toHost(tensors: Readonly<Record<string, Tensor>>): Promise<ModelState> {
      const names = Object.keys(tensors);
      let host: Readonly<Record<string, Tensor>> = tensors;
      if (names.some((n) => tensors[n]!.location !== 'cpu')) {
        copy ??= createSession(backend, exportCopy(specs), settings, undefined);
        const out = await (await copy).run(Object.fromEntries(specs.map((s) => [s.name, tensors[s.name]!])));
        host = Object.fromEntries(names.map((n) => [n, out[`${n}.copy`]!]));
      }
      return Object.fromEntries(names.map((n) => [n, { data: host[n]!.data as Float32Array | Float64Array, dims: [...dims.get(n)!] }]));
    },
    async release(): Promise<void> {
      await (await copy)?.release();
    },
  };
}

/** Feeds for the data inputs and targets of one batch. */
export function batchFeeds(backend: OrtBackend, batch: PreparedBatch): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(batch.tensors)) feeds[name] = new backend.Tensor(t.dtype as 'float32', t.data as Float32Array, t.dims);
  return feeds;
}
