import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The four package.json files as npm packages: the fields a user and the registry read, and
// dependencies that cover every import of the shipped code. test/consumer.test.ts installs them.

const root = fileURLToPath(new URL('..', import.meta.url));
const names = ['graph-builder', 'runtime', 'trainer', 'cli'];

interface Manifest {
  name: string;
  version: string;
  description?: string;
  keywords?: string[];
  license?: string;
  repository?: { type: string; url: string; directory: string };
  engines?: { node?: string };
  files?: string[];
  exports: Record<string, unknown>;
  publishConfig?: { exports?: Record<string, unknown> };
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies?: Record<string, string>;
}

const manifest = (name: string): Manifest => JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) as Manifest;

/** The files of src/ that end up in dist/ (tests and test helpers are excluded by each tsconfig). */
function shippedSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' ? [] : shippedSources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** The packages a source file imports (type-only imports included: the shipped .d.ts files import them too). */
function importedPackages(source: string): string[] {
  const patterns = [/^\s*(?:import|export)\s[^;]*?\sfrom\s*'([^']+)'/gm, /^\s*import\s*'([^']+)'/gm, /\bimport\(\s*'([^']+)'\s*\)/g];
  const specifiers = patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[1]!)).filter((s) => !s.startsWith('.'));
  return specifiers
    .filter((s) => !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

/** `exports` without the workspace-only `source` condition, a condition object left with `default` alone becoming its path. */
function withoutSource(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).filter(([key]) => key !== 'source');
  const object = Object.fromEntries(entries.map(([key, v]) => [key, withoutSource(v)]));
  return entries.length === 1 && entries[0]![0] === 'default' ? object.default : object;
}

/** Every condition object in `exports`, with its path. */
function conditionObjects(value: unknown, path = 'exports'): [string, Record<string, unknown>][] {
  if (typeof value !== 'object' || value === null) return [];
  const entries = Object.entries(value);
  const here: [string, Record<string, unknown>][] = entries.some(([key]) => !key.startsWith('.')) ? [[path, value as Record<string, unknown>]] : [];
  return [...here, ...entries.flatMap(([key, v]) => conditionObjects(v, `${path}.${key}`))];
}

describe.each(names)('packages/%s/package.json', (name) => {
  const pkg = manifest(name);

  it('has the fields npm shows and checks', () => {
    expect(pkg.name).toBe(`@onnxpipe/${name}`);
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.description?.length).toBeGreaterThan(20);
    expect(pkg.keywords).toContain('onnx');
    expect(pkg.license).toBe('MIT');
    expect(pkg.repository).toEqual({ type: 'git', url: expect.stringMatching(/^git\+https:\/\/.+\.git$/), directory: `packages/${name}` });
    expect(pkg.engines?.node).toBe(manifest('../').engines?.node);
  });

  it('ships dist/ and a copy of the root LICENSE', () => {
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'LICENSE']));
    expect(readFileSync(join(root, 'packages', name, 'LICENSE'), 'utf8')).toBe(readFileSync(join(root, 'LICENSE'), 'utf8'));
  });

  it('lists `types` first in every condition object, and publishes exports without `source`', () => {
    for (const [path, conditions] of conditionObjects(pkg.exports)) {
      if ('types' in conditions) expect(Object.keys(conditions)[0], path).toBe('types');
    }
    expect(conditionObjects(pkg.exports).some(([, c]) => 'types' in c)).toBe(true);
    expect(pkg.publishConfig?.exports).toEqual(withoutSource(pkg.exports));
  });

  it('declares every package its shipped code imports as a dependency or a peer dependency', () => {
    const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
    for (const file of shippedSources(join(root, 'packages', name, 'src'))) {
      for (const imported of importedPackages(readFileSync(file, 'utf8'))) {
        expect(declared.has(imported), `${relative(root, file)} imports ${imported}`).toBe(true);
      }
    }
  });

  it('has each peer dependency in devDependencies too, so the workspace installs it', () => {
    for (const [peer, range] of Object.entries(pkg.peerDependencies ?? {})) {
      if (peer === 'tsx') continue; // the CLI's optional peer for .ts definitions; the workspace root has it
      expect(pkg.devDependencies?.[peer], peer).toBeDefined();
      expect(range).toMatch(/^\^\d/);
    }
  });
});

describe('onnxruntime as dependencies', () => {
  it('runtime and trainer leave onnxruntime-node and onnxruntime-web to the user (optional peers): one is for Node, the other for browsers', () => {
    for (const name of ['runtime', 'trainer']) {
      const pkg = manifest(name);
      expect(pkg.dependencies).not.toHaveProperty('onnxruntime-node');
      expect(pkg.dependencies).not.toHaveProperty('onnxruntime-web');
      expect(pkg.peerDependenciesMeta).toEqual({ 'onnxruntime-node': { optional: true }, 'onnxruntime-web': { optional: true } });
    }
  });

  it('the CLI, a Node program, depends on onnxruntime-node', () => {
    expect(manifest('cli').dependencies).toHaveProperty('onnxruntime-node');
  });

  it('the CLI’s bin is a committed file, so pnpm install links it before the first build', () => {
    const bin = manifest('cli').bin?.onnxpipe;
    expect(bin).toBe('./bin/onnxpipe.js');
    expect(readFileSync(join(root, 'packages/cli', bin!), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n[\s\S]*import '\.\.\/dist\/bin\.js';\n$/);
  });
});
