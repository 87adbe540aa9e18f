/**
 * better-sqlite3's constructor, with its native addon loaded from where better-sqlite3's install
 * puts it (build/Release/better_sqlite3.node; scripts/node-versions.mjs swaps that file per Node)
 * rather than through better-sqlite3's own lookup (the bindings package), which walks the stack
 * and a dozen candidate paths on every start. A build elsewhere is still found by that lookup,
 * pointed at better-sqlite3's folder: thoth's build bundles better-sqlite3's JavaScript
 * (scripts/bundle.mjs), from where the lookup could not find the folder itself.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';

type Addon = object;
let addon: Addon | undefined;

function nativeAddon(): Addon {
  if (addon) return addon;
  const require = createRequire(import.meta.url);
  const root = join(dirname(require.resolve('better-sqlite3')), '..');
  try {
    addon = require(join(root, 'build', 'Release', 'better_sqlite3.node')) as Addon;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    const bindings = createRequire(join(root, 'package.json'))('bindings') as (options: { bindings: string; module_root: string }) => Addon;
    addon = bindings({ bindings: 'better_sqlite3.node', module_root: root });
  }
  return addon;
}

/** `new Database(filename, options)`. */
export function openSqlite(filename: string, options: Database.Options = {}): Database.Database {
  // The typings name a path only; better-sqlite3 takes the loaded addon as well (since 8.1).
  return new Database(filename, { ...options, nativeBinding: nativeAddon() as unknown as string });
}
