// Preloaded by bench/startup.mjs (`node --import ./bench/module-counter.mjs ...`): appends to
// $BENCH_MODULE_LOG every module the process loads, ES modules as they are resolved and CommonJS
// ones (require.cache) at exit, one `esm|cjs <where>` line each.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const log = process.env.BENCH_MODULE_LOG;
if (log) {
  register(new URL('./module-counter-hooks.mjs', import.meta.url));
  const require = createRequire(import.meta.url);
  process.on('exit', () => {
    for (const file of Object.keys(require.cache)) appendFileSync(log, `cjs ${file}\n`);
  });
}
