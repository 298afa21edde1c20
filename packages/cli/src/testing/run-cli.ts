import { main } from '../cli.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output; `stdin` is what the command reads as standard input. */
export async function runCli(argv: readonly string[], options: { signal?: AbortSignal; stdin?: string } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: (text: string) => void (stdout += text),
    stderr: (text: string) => void (stderr += text),
    ...(options.signal ? { signal: options.signal } : {}),
    readStdin: () => (options.stdin === undefined ? Promise.reject(new Error('this test gives no stdin')) : Promise.resolve(options.stdin)),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
