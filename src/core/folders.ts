import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * `mkdir -p` without fs.mkdirSync's recursive mode, which under /proc spins
 * for ever on Node 20 (mkdir answers ENOENT for a parent that exists).
 * Creates the missing folders from the top down; throws the first error
 * other than EEXIST, with `folder` naming the one that could not be made.
 */
export function makeFolders(dir: string, mode = 0o700): void {
  const missing: string[] = [];
  for (let current = dir; !existsSync(current); current = dirname(current)) {
    missing.unshift(current);
    if (dirname(current) === current) break;
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder, mode);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw Object.assign(error as Error, { folder });
    }
  }
}
