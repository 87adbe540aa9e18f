#!/usr/bin/env node
import { dropKafkajsNegativeTimeoutWarning, enableCompileCache, prerenderedHelp, versionOnly } from '../src/cli/startup.js';

// Before anything else loads: the compile cache covers only the modules loaded after it.
enableCompileCache(process.env);
dropKafkajsNegativeTimeoutWarning();
const args = process.argv.slice(2);
// `npm run build` writes the top-level help beside this file (scripts/bundle.mjs).
const answer = versionOnly(args) ?? prerenderedHelp(args, () => process.stdout, new URL('./thoth-help.txt', import.meta.url));
if (answer !== undefined) {
  process.stdout.write(answer);
} else {
  const { main } = await import('../src/cli/main.js');
  const { exitQuietlyOnClosedPipe, installSignalHandlers } = await import('../src/cli/signals.js');
  exitQuietlyOnClosedPipe();
  const { signal } = installSignalHandlers();
  const code = await main(process.argv, { signal });
  process.exitCode = code;
  // A client library may leave a timer or socket behind; do not let it hold the exit.
  setTimeout(() => process.exit(code), 200).unref();
}
