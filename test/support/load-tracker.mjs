// Module customization hook: appends every resolved module URL to $THOTH_LOAD_LOG,
// so a test can see which packages a command really loaded.
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (process.env.THOTH_LOAD_LOG) appendFileSync(process.env.THOTH_LOAD_LOG, `${result.url}\n`);
  return result;
}
