/**
 * The build's bundles (scripts/bundle.mjs): `thoth query` runs from a bundle of its own,
 * chunks/run-query.js, which holds only what its subcommands import. Every subcommand, its help
 * and its usage errors answer from it exactly as the dispatch core does in-process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN, cleanEnv, runThoth, spawnThoth } from '../support/cli.js';

const tracker = fileURLToPath(new URL('../support/register-load-tracker.mjs', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../../fixtures/streams/continuous-learning.ndjson', import.meta.url));

/** The bundles of dist/bin/chunks/ a run of the built binary loaded. */
function bundlesLoadedBy(args: string[], env: NodeJS.ProcessEnv): string[] {
  const log = join(mkdtempSync(join(tmpdir(), 'thoth-load-')), 'loaded.txt');
  const run = spawnSync(process.execPath, ['--import', tracker, BIN, ...args], { env: { ...env, THOTH_LOAD_LOG: log }, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((url) => url.includes('/dist/bin/chunks/'))
    .map((url) => url.replace(/.*\/dist\/bin\/chunks\//, ''));
}

describe("`thoth query`'s own bundle", () => {
  const home = mkdtempSync(join(tmpdir(), 'thoth-bundles-'));
  const env = cleanEnv({ THOTH_HOME: home, XDG_CACHE_HOME: join(home, 'cache') });
  const filled = spawnThoth(['investigate', '--from', FIXTURE, '--index-url', 'https://index.example/simple', '-o', 'json'], { env });

  const lines = [
    ['query', 'stats'],
    ['query', 'stats', '-o', 'yaml'],
    ['-o', 'json', 'query', 'workflows'],
    ['query', 'workflows', '--kind', 'solver', '--since', '2000-01-01T00:00:00Z', '-o', 'ndjson'],
    ['query', 'unresolved', '--all', '-o', 'name'],
    ['query', 'unsolved', '--limit', '5'],
    ['query', 'si-unanalyzed'],
    ['query', 'missing'],
    ['query', 'dead-letters'],
    ['query', 'indexes', '-o', 'wide'],
    ['query', 'package', 'requests'],
    ['query', 'sql', 'SELECT count(*) AS n FROM package_versions'],
    ['query', 'sql', 'DELETE FROM package_versions'],
    ['query'],
    ['query', '--help'],
    ['help', 'query'],
    ['query', 'stats', '--help'],
    ['query', 'nosuch'],
    ['query', 'workflows', '--kind', 'nosuch'],
    ['query', 'unsolved', '--limit', 'many'],
  ];

  it.each(lines.map((args) => [args.join(' '), args]))('answers `thoth %s` as the dispatch core does', async (_, args) => {
    expect((await filled).code).toBe(0);
    const spawned = await spawnThoth(args, { env });
    expect(spawned).toEqual(await runThoth(args, { env }));
  });

  it('is the only bundle `thoth query` loads; other commands load the bundle of every command', async () => {
    expect((await filled).code).toBe(0);
    expect(bundlesLoadedBy(['query', 'stats'], env)).toEqual(['run-query.js']);
    expect(bundlesLoadedBy(['--db', join(home, 'thoth.db'), 'query', 'indexes'], env)).toEqual(['run-query.js']);
    expect(bundlesLoadedBy(['schema', '--list'], env)).toEqual(['run.js']);
    expect(bundlesLoadedBy(['help', 'schema'], env)).toEqual(['run.js']);
  });
});
