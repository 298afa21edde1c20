import { basename, extname } from 'node:path';
import { UsageError } from './errors.js';

/** The file name without its extension: `models/xor.onnx` → `xor`. */
export const defaultModelName = (path: string) => basename(path, extname(path));

/** Model names go into URLs and directory names: letters, digits, '_', '.', '-'. */
export function checkModelName(name: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) {
    throw new UsageError(`invalid model name '${name}'; use letters, digits, '_', '.' and '-' (pass --name)`);
  }
  return name;
}
