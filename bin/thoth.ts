#!/usr/bin/env node
import { dropKafkajsNegativeTimeoutWarning, enableCompileCache, versionOnly } from '../src/cli/startup.js';

// Before anything else loads: the compile cache covers only the modules loaded after it.
enableCompileCache(process.env);
dropKafkajsNegativeTimeoutWarning();
const version = versionOnly(process.argv.slice(2));
if (version) {
  process.stdout.write(version);
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
