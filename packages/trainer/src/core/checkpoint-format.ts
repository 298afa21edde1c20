import { stateFromJSON, stateToJSON, type ModelState, type TensorJSON } from '@onnxpipe/graph-builder';

/** Everything needed to resume training: parameters, optimizer state and counters. */
export interface Checkpoint {
  readonly format: 'onnxpipe-checkpoint';
  readonly version: 1;
  /** Epochs completed. */
  readonly epoch: number;
  /** Optimizer steps applied. */
  readonly step: number;
  readonly params: ModelState;
  readonly optimizer: ModelState;
}

export function isCheckpoint(value: unknown): value is Checkpoint {
  return typeof value === 'object' && value !== null && (value as { format?: unknown }).format === 'onnxpipe-checkpoint';
}

export function checkpointToJSON(c: Checkpoint): string {
  return JSON.stringify({ ...c, params: stateToJSON(c.params), optimizer: stateToJSON(c.optimizer) });
}

export function checkpointFromJSON(text: string, where: string): Checkpoint {
  let raw: { format?: unknown; version?: unknown; epoch?: unknown; step?: unknown; params?: Record<string, TensorJSON>; optimizer?: Record<string, TensorJSON> };
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${where}: not a JSON checkpoint (${(error as Error).message})`);
  }
  if (!isCheckpoint(raw) || raw.version !== 1 || !Number.isInteger(raw.epoch) || !Number.isInteger(raw.step)) {
    throw new Error(`${where}: not an onnxpipe checkpoint (expected format 'onnxpipe-checkpoint', version 1, integer epoch and step)`);
  }
  return { format: 'onnxpipe-checkpoint', version: 1, epoch: raw.epoch as number, step: raw.step as number, params: stateFromJSON(raw.params), optimizer: stateFromJSON(raw.optimizer) };
}

/** A checkpoint as bytes (UTF-8 JSON), for a file, a download or IndexedDB. */
export function serializeCheckpoint(c: Checkpoint): Uint8Array {
  return new TextEncoder().encode(checkpointToJSON(c));
}

/** The checkpoint in bytes written by `serializeCheckpoint`; `where` names their origin in errors. */
export function deserializeCheckpoint(bytes: Uint8Array | ArrayBuffer, where = 'checkpoint'): Checkpoint {
  if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) {
    throw new Error(`${where}: expected the bytes of a checkpoint (Uint8Array or ArrayBuffer), got ${bytes === null ? 'null' : typeof bytes}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`${where}: not a JSON checkpoint (the bytes are not UTF-8 text)`);
  }
  return checkpointFromJSON(text, where);
}
