/**
 * The directory the command line's relative paths are meant from. A package script named
 * `onnxpipe` (`pnpm onnxpipe …` in this repository) runs in its package's directory, but the user
 * typed the paths where they ran pnpm or npm, which both record in INIT_CWD. Other scripts keep
 * their directory: the paths in `"train": "onnxpipe train model.ts"` are relative to the package.
 */
export function userDirectory(env: Readonly<Record<string, string | undefined>>, cwd: string): string {
  return env.npm_lifecycle_event === 'onnxpipe' && env.INIT_CWD ? env.INIT_CWD : cwd;
}

/**
 * Ends the process quietly with status 0 when the reader of stdout goes away
 * (`onnxpipe predict … | head -1`): the output nobody reads is not an error.
 */
export function exitQuietlyWhenStdoutCloses(stdout: NodeJS.WriteStream = process.stdout): void {
  stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0);
  });
}
