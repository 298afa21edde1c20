import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:os';

/**
 * onnxruntime-node's WebGPU provider runs on Dawn, which prints its warnings straight to the
 * process's stderr (`Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced…` on
 * every run with Mesa's lavapipe), past onnxruntime's log level. Without --verbose the CLI runs a
 * `--device webgpu` command in a child process and drops those lines from its stderr.
 */
const FILTERED = 'ONNXPIPE_DAWN_WARNINGS_FILTERED';

/** Whether this process should run the command in a child whose stderr it filters. */
export function hidesDawnWarnings(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): boolean {
  const webgpu = argv.some((arg, i) => arg === '--device=webgpu' || (arg === '--device' && argv[i + 1] === 'webgpu'));
  return webgpu && !argv.includes('--verbose') && env[FILTERED] === undefined;
}

/**
 * Drops Dawn's warnings from text that arrives in chunks: a line `Warning: …`, the `    at …`
 * lines of its origin, and the blank line that ends a multi-line one. Everything else passes.
 */
export class DawnWarningFilter {
  #partial = '';
  #inWarning = false;

  /** The complete lines of `chunk` (with what came before) that are not Dawn's warnings. */
  write(chunk: string): string {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop()!;
    return lines
      .filter((line) => this.#keeps(line))
      .map((line) => `${line}\n`)
      .join('');
  }

  /** What is left after the last newline, unless it is a warning. */
  end(): string {
    const rest = this.#partial;
    this.#partial = '';
    return rest !== '' && this.#keeps(rest) ? rest : '';
  }

  #keeps(line: string): boolean {
    if (line.startsWith('Warning: ')) {
      this.#inWarning = true;
      return false;
    }
    if (this.#inWarning && line.startsWith('    at ')) return false;
    const blankAfterWarning = this.#inWarning && line === '';
    this.#inWarning = false;
    return !blankAfterWarning;
  }
}

/** Runs this same command line in a child process, passing stdin and stdout through and filtering stderr; returns its exit status. */
export async function runWithoutDawnWarnings(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'pipe'],
    env: { ...process.env, [FILTERED]: '1' },
  });
  const filter = new DawnWarningFilter();
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => process.stderr.write(filter.write(chunk)));
  child.stderr.on('end', () => process.stderr.write(filter.end()));
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  process.off('SIGINT', forward);
  process.off('SIGTERM', forward);
  return code ?? 128 + (signal === null ? 0 : constants.signals[signal]);
}
