#!/usr/bin/env node
import { main } from '../src/cli/main.js';
import { exitQuietlyOnClosedPipe, installSignalHandlers } from '../src/cli/signals.js';

exitQuietlyOnClosedPipe();
const { signal } = installSignalHandlers();
const code = await main(process.argv, { signal });
process.exitCode = code;
// A client library may leave a timer or socket behind; do not let it hold the exit.
setTimeout(() => process.exit(code), 200).unref();
