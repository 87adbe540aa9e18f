// Preloaded with `node --import`: every module the process loads goes to $THOTH_LOAD_LOG as a URL,
// ES modules as they are resolved (load-tracker.mjs) and CommonJS ones, which those hooks do not
// see (the build is CommonJS: scripts/bundle.mjs), from require's cache at exit.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

register(new URL('./load-tracker.mjs', import.meta.url));
const require = createRequire(import.meta.url);
process.on('exit', () => {
  const log = process.env.THOTH_LOAD_LOG;
  if (!log) return;
  for (const file of Object.keys(require.cache)) appendFileSync(log, `${pathToFileURL(file).href}\n`);
});
