/**
 * A command run as a process: what bin/thoth.ts does once --version and --help alone are answered.
 * SIGINT/SIGTERM abort the command, a closed pipe ends it quietly, and the dispatch core's exit code
 * becomes the process's. Its own module so that the build can load all of it at once
 * (scripts/bundle.mjs).
 */
import { main } from './main.js';
import { exitQuietlyOnClosedPipe, installSignalHandlers } from './signals.js';

export async function run(argv: string[]): Promise<void> {
  exitQuietlyOnClosedPipe();
  const { signal } = installSignalHandlers();
  const code = await main(argv, { signal });
  process.exitCode = code;
  // A client library may leave a timer or socket behind; do not let it hold the exit.
  setTimeout(() => process.exit(code), 200).unref();
}
