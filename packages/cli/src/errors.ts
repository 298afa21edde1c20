/** An error the user can fix; the CLI prints its message alone and exits with 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/** The command line itself is wrong (unknown option, missing argument); the CLI exits with 2. */
export class UsageError extends CliError {
  override name = 'UsageError';
}
