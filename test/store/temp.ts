import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/** A fresh folder per test, removed afterwards; returns a database path inside it. */
export function tempDbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'thoth-store-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'cache', 'thoth.db');
}

export const INDEX = 'https://index.example/simple';

export const key = (packageName: string, packageVersion: string, indexUrl = INDEX) => ({ packageName, packageVersion, indexUrl });
