import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { reportError } from '../../src/cli/exit-codes.js';
import { BIN, cleanEnv } from '../support/cli.js';

describe('reportError', () => {
  it('reports an unexpected error in one line with the bug note, the stack only with -v', () => {
    let text = '';
    const bug = new TypeError('cannot read properties of undefined\n  (reading x)');
    expect(reportError(bug, (t) => (text += t), 'tail')).toBe(1);
    expect(text).toBe(
      'error: TypeError: cannot read properties of undefined (reading x)\nThis is a bug in thoth; please report it with the command you ran (-v prints where it happened).\n',
    );
    text = '';
    reportError(bug, (t) => (text += t), 'tail', true);
    expect(text).toMatch(/^\s+at /m);
  });
});

describe('the built thoth, when a failure it does not expect happens', () => {
  // The fault, injected: rendering the stats fails as a bug would (JSON.stringify throws for them).
  const fault = fileURLToPath(new URL('../support/fault-in-output.mjs', import.meta.url));
  const home = mkdtempSync(join(tmpdir(), 'thoth-bug-'));
  const env = cleanEnv({ THOTH_HOME: home, XDG_CACHE_HOME: join(home, 'cache') });
  const db = join(home, 'thoth.db');
  const statsFailing = (...flags: string[]) =>
    spawnSync(process.execPath, ['--import', fault, BIN, '--db', db, ...flags, 'query', 'stats', '-o', 'json'], {
      env: { ...env, THOTH_FAULT_KEY: 'schema_version_supported' },
      encoding: 'utf8',
    });

  it('says where in src/ with -v, though the bundle is minified and keeps no names (source maps are read then)', () => {
    const published = spawnSync(
      process.execPath,
      [BIN, '--db', db, 'publish', 'unresolved-package', 'requests', '--index-url', 'https://index.example/simple'],
      { env, encoding: 'utf8' },
    );
    expect(published.status, published.stderr).toBe(0);

    const verbose = statsFailing('-v');
    expect(verbose.status).toBe(1);
    expect(verbose.stderr).toContain('TypeError: injected fault at schema_version_supported');
    expect(verbose.stderr).toMatch(/^\s+at presentQuery \(\S+\/src\/present\/query\.ts:\d+:\d+\)$/m);

    const plain = statsFailing();
    expect(plain.status).toBe(1);
    expect(plain.stderr).toBe(
      'error: TypeError: injected fault at schema_version_supported\nThis is a bug in thoth; please report it with the command you ran (-v prints where it happened).\n',
    );
  });
});
