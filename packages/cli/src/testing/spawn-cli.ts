import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CliRun } from './run-cli.js';

const bin = fileURLToPath(new URL('../bin.ts', import.meta.url));
/** The repository root, where tsx and the workspace packages resolve. */
export const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));

/** Starts the CLI from source (tsx, `source` export condition) in a child process, in the repository root, with `env` added to the environment. */
export const startCli = (argv: readonly string[], env: Readonly<Record<string, string>> = {}): ChildProcessWithoutNullStreams =>
  spawn(process.execPath, ['--conditions=source', '--import', 'tsx', bin, ...argv], { cwd: repoRoot, env: { ...process.env, ...env } });

/** Runs the CLI in a child process to the end, with `env` added to the environment and `stdin` (if given) as its standard input. */
export async function spawnCli(argv: readonly string[], env: Readonly<Record<string, string>> = {}, stdin?: string): Promise<CliRun> {
  const child = startCli(argv, env);
  if (stdin !== undefined) child.stdin.end(stdin);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  return { code, stdout, stderr };
}
