// The resolve hook of bench/module-counter.mjs (hooks run on their own thread).
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.startsWith('file:') && process.env.BENCH_MODULE_LOG) appendFileSync(process.env.BENCH_MODULE_LOG, `esm ${result.url}\n`);
  return result;
}
