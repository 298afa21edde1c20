import { hidesDawnWarnings, runWithoutDawnWarnings } from './dawn-warnings.js';
import { exitQuietlyWhenStdoutCloses, userDirectory } from './launch.js';

// The process entry point (packages/cli/bin/onnxpipe.js imports it); `main` in cli.ts is the testable part.
process.chdir(userDirectory(process.env, process.cwd()));
exitQuietlyWhenStdoutCloses();
const argv = process.argv.slice(2);
process.exitCode = hidesDawnWarnings(argv, process.env) ? await runWithoutDawnWarnings() : await (await import('./cli.js')).main(argv);
