import { readFileSync } from 'node:fs';

/** thoth's version from package.json (found from src/ and from dist/src/ alike). */
export function thothVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'thoth' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate: the layout differs between src/ and dist/src/
    }
  }
  return 'unknown';
}
