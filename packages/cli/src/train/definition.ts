import { stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SymbolicTensor, Model, type ModelLike } from '@onnxpipe/graph-builder';
import { CliError } from '../errors.js';
import { registerDefinitionHooks } from './definition-hooks.js';

/** What a definition module may export. */
export interface Definition {
  model: ModelLike;
  loss?: unknown;
  optimizer?: unknown;
  /** An iterable of `[inputs, target]` batches, or a function returning one (called once per epoch). */
  data?: unknown;
}

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts']);

/**
 * Registers tsx's loader for the whole process (once), so a .ts definition imports the same module
 * instances as the CLI: `tsImport` would give it private copies, and `instanceof` checks would fail.
 * tsx is optional; the CLI does not depend on it.
 */
let tsxRegistered: Promise<void> | undefined;
/** Whether the definition hooks run before every other registered hook (tsx's included). */
let hooksRegistered = false;
function registerTsx(path: string): Promise<void> {
  const specifier = 'tsx/esm/api';
  tsxRegistered ??= (import(specifier) as Promise<{ register: () => unknown }>).then(
    ({ register }) => {
      register();
      hooksRegistered = false;
    },
    () => {
      tsxRegistered = undefined;
      throw new CliError(`cannot load '${path}': TypeScript definitions need tsx (npm install -D tsx), or compile it to .js`);
    },
  );
  return tsxRegistered;
}

async function prepareLoader(path: string, typescript: boolean): Promise<void> {
  if (typescript) await registerTsx(path);
  if (!hooksRegistered) registerDefinitionHooks();
  hooksRegistered = true;
}

/** Imports a definition module (.js/.mjs, or .ts through tsx) and checks its exports. */
export async function loadDefinition(path: string): Promise<Definition> {
  const absolute = resolve(path);
  try {
    await stat(absolute);
  } catch (error) {
    throw new CliError(`cannot read definition '${path}': ${(error as Error).message}`);
  }
  const url = pathToFileURL(absolute).href;
  let module: Record<string, unknown>;
  try {
    await prepareLoader(path, TS_EXTENSIONS.has(extname(absolute)));
    module = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot load definition '${path}': ${(error as Error).message}`);
  }
  const { model } = module;
  if (!(model instanceof SymbolicTensor || model instanceof Model)) {
    const got = model === undefined ? 'nothing' : `${typeof model === 'object' ? (model?.constructor?.name ?? 'null') : typeof model}`;
    throw new CliError(
      `definition '${path}' must export \`model\`: a layer output (input(…).dense(…)) or model({...}) from @onnxpipe/graph-builder; it exports ${got}` +
        (typeof model === 'object' && model !== null ? ' (is @onnxpipe/graph-builder installed twice?)' : ''),
    );
  }
  return { model, loss: module.loss, optimizer: module.optimizer, data: module.data };
}
