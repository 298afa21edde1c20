/** Where the CLI writes, and what stops a long-running command; tests pass their own. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Aborting it stops `serve` gracefully; without one, SIGTERM and SIGINT do. */
  signal?: AbortSignal;
  /** All of standard input, for `--json -`; the process's stdin by default. */
  readStdin?(): Promise<string>;
}

/** Reads the process's standard input to its end. */
export async function readProcessStdin(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk as string;
  return text;
}

export const processIO: CliIO = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/** A signal aborted by the first SIGTERM or SIGINT; a second one then acts as usual (ends the process). */
export function shutdownSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = () => {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    controller.abort();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return controller.signal;
}
