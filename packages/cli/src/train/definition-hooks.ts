import { register } from 'node:module';

/**
 * Module hooks for loading definition files that sit outside any project:
 * - a bare `@onnxpipe/…` import that does not resolve from the definition's directory (a plain
 *   directory with no node_modules) resolves from the CLI's own install, which also gives the
 *   definition the module instances the CLI checks its exports against;
 * - a `.ts` file outside node_modules that tsx would load as CommonJS (no package.json, or one
 *   without "type": "module") loads as an ES module: as CommonJS, Node ≥ 20.19 would load it
 *   through require(esm) from inside its own import and fail with ERR_REQUIRE_CYCLE_MODULE.
 * Node runs hooks in a separate thread from a module URL; the source is inline (a data: URL) so
 * that the same text works from dist/ and from the TypeScript sources.
 */
const HOOKS_SOURCE = `
let cliURL;
export function initialize(data) {
  cliURL = data.cliURL;
}
export async function resolve(specifier, context, nextResolve) {
  let resolved;
  try {
    resolved = await nextResolve(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !specifier.startsWith('@onnxpipe/')) throw error;
    resolved = await nextResolve(specifier, { ...context, parentURL: cliURL });
  }
  if (resolved.format === 'commonjs' && /^file:[^?#]*\\.ts(?:[?#]|$)/.test(resolved.url) && !resolved.url.includes('/node_modules/')) {
    return { ...resolved, format: 'module' };
  }
  return resolved;
}
`;

/**
 * Registers the hooks. Hooks registered later run first, so call this again after registering
 * tsx: these hooks must see tsx's answer to correct it.
 */
export function registerDefinitionHooks(): void {
  register(`data:text/javascript,${encodeURIComponent(HOOKS_SOURCE)}`, { data: { cliURL: import.meta.url } });
}
