#!/usr/bin/env node
import {
  dropKafkajsNegativeTimeoutWarning,
  enableCompileCache,
  prerenderedHelp,
  stdoutShape,
  verboseAsked,
  versionOnly,
  writeAnswer,
} from '../src/cli/startup.js';

// Before anything else loads: the compile cache covers only the modules loaded after it.
enableCompileCache(process.env);
dropKafkajsNegativeTimeoutWarning();
const args = process.argv.slice(2);
// -v prints where a failure happened: with source maps, as a place in src/ and its function's name (the bundle is
// minified and keeps no names). Before the bundle loads: maps are read for what loads after.
if (verboseAsked(args)) process.setSourceMapsEnabled(true);
// `npm run build` writes the top-level help beside this file (scripts/bundle.mjs).
const answer = versionOnly(args) ?? prerenderedHelp(args, stdoutShape, new URL('./thoth-help.txt', import.meta.url));
if (answer !== undefined) {
  writeAnswer(answer);
} else {
  // No top-level await: the build makes this file CommonJS, which loads the rest synchronously.
  void import('../src/cli/run.js').then(({ run }) => run(process.argv));
}
