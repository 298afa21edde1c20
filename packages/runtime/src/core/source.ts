import { ModelLoadError } from './errors.js';
import type { ModelSource } from './types.js';

/** Reads a local path or `file:` URL; only Node provides one. */
export type ReadFile = (path: string | URL) => Promise<Uint8Array>;

const isHttp = (source: string | URL) =>
  typeof source === 'string' ? /^https?:\/\//i.test(source) : source.protocol === 'http:' || source.protocol === 'https:';

/** The model bytes and a label naming their origin in error messages. */
export async function readSource(source: ModelSource, readFile?: ReadFile): Promise<{ bytes: Uint8Array; label: string }> {
  if (source instanceof Uint8Array) return { bytes: source, label: `the given buffer of ${source.byteLength} bytes` };
  if (source instanceof ArrayBuffer) {
    return { bytes: new Uint8Array(source), label: `the given buffer of ${source.byteLength} bytes` };
  }
  if (typeof source !== 'string' && !(source instanceof URL)) {
    throw new ModelLoadError('model source must be a path, a URL, a Uint8Array or an ArrayBuffer');
  }
  const label = `'${String(source)}'`;
  if (readFile && !isHttp(source) && (typeof source === 'string' || source.protocol === 'file:')) {
    try {
      return { bytes: await readFile(source), label };
    } catch (error) {
      throw new ModelLoadError(`cannot read model file ${label}: ${(error as Error).message}`, { cause: error });
    }
  }
  let response: Response;
  try {
    response = await fetch(source);
  } catch (error) {
    const cause = (error as Error).cause instanceof Error ? `: ${((error as Error).cause as Error).message}` : '';
    throw new ModelLoadError(`cannot fetch model from ${label}: ${(error as Error).message}${cause}`, { cause: error });
  }
  if (!response.ok) {
    throw new ModelLoadError(`cannot fetch model from ${label}: HTTP ${response.status} ${response.statusText}`);
  }
  return { bytes: new Uint8Array(await response.arrayBuffer()), label };
}
