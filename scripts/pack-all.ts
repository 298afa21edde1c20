/**
 * `pnpm pack:all`: builds the four packages from scratch and writes one npm tarball per package
 * into packed/. The packages ship dist/ only, so this build leaves out source maps and declaration
 * maps (they would point at src/ files that are not in the tarball); the next `pnpm build`
 * rebuilds with them for the workspace.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const packed = join(root, 'packed');
const packages = readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name));

const run = (command: string, args: readonly string[], cwd = root) => execFileSync(command, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] });

for (const dir of packages) {
  rmSync(join(dir, 'dist'), { recursive: true, force: true });
  rmSync(join(dir, 'tsconfig.tsbuildinfo'), { force: true });
}
rmSync(packed, { recursive: true, force: true });
mkdirSync(packed);

run('pnpm', ['exec', 'tsc', '-b', '--sourceMap', 'false', '--declarationMap', 'false']);
// `pnpm pack` (not npm's) turns workspace:* into versions and applies publishConfig.exports,
// which drops the workspace-only `source` condition.
for (const dir of packages) run('pnpm', ['pack', '--pack-destination', packed], dir);

for (const file of readdirSync(packed).sort()) {
  console.log(`packed/${file}  ${(statSync(join(packed, file)).size / 1024).toFixed(1)} KiB`);
}
