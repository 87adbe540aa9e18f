/**
 * A cache damaged in pages read late (a disk fault, `dd` over part of the
 * file): every command reports it as one line saying what to do, queries that
 * do not touch the damage still answer, and `thoth cache check` finds it.
 */
import { closeSync, copyFileSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runThoth, type RunResult } from '../support/cli.js';

const INDEX = 'https://index.example/simple';
const STREAM = fileURLToPath(new URL('../../fixtures/streams/continuous-learning.ndjson', import.meta.url));

let dir: string;
let good: string;
const env = () => cleanEnv({ THOTH_INDEX_URLS: INDEX, KUBECONFIG: join(dir, 'no-kubeconfig') });

function expectOneLineError(run: RunResult, code: number, pattern: RegExp): void {
  expect(run.code).toBe(code);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).not.toContain('This is a bug');
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr.split('\n').filter((l) => l.startsWith('error:'))).toHaveLength(1);
}

/** A copy of the good cache with the root pages of `table` and of its indexes overwritten by garbage. */
function damagedCopy(table: string): string {
  const path = join(dir, `${table}.db`);
  copyFileSync(good, path);
  const db = new Database(path);
  const roots = db.prepare('SELECT rootpage FROM sqlite_master WHERE tbl_name = ? AND rootpage > 0').all(table) as Array<{
    rootpage: number;
  }>;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const fd = openSync(path, 'r+');
  for (const { rootpage } of roots) writeSync(fd, Buffer.alloc(pageSize, 0xab), 0, pageSize, (rootpage - 1) * pageSize);
  closeSync(fd);
  return path;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-damaged-'));
  good = join(dir, 'good.db');
  expect((await runThoth(['--db', good, 'replay', STREAM], { env: env() })).code).toBe(0);
  const db = new Database(good);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a damaged cache', () => {
  it('query stats: one line naming the cache as damaged and what to do, never a stack', async () => {
    const path = damagedCopy('log_records');
    const run = await runThoth(['--db', path, 'query', 'stats', '-o', 'json'], { env: env() });
    expectOneLineError(run, 1, new RegExp(`error: the knowledge cache ${path} is damaged \\(.*\\)\\nhint: run \`thoth cache check`));
  });

  it('queries that do not read the damaged pages still answer', async () => {
    const path = damagedCopy('log_records');
    const run = await runThoth(['--db', path, 'query', 'indexes', '-o', 'json'], { env: env() });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ url: INDEX })]));
  });

  it('investigate: its closing summary reads the damage and reports it in one line', async () => {
    const path = damagedCopy('log_records');
    const run = await runThoth(['--db', path, 'investigate', '--from', STREAM, '-o', 'ndjson', '--port', 'none'], { env: env() });
    expectOneLineError(run, 1, /is damaged/);
  });

  it('cache check: exit 0 and "ok" on a sound file, exit 1 listing what SQLite found on a damaged one', async () => {
    const sound = await runThoth(['--db', good, 'cache', 'check'], { env: env() });
    expect(sound).toMatchObject({ code: 0, stdout: `ok: ${good} passed SQLite's integrity check\n` });
    const path = damagedCopy('package_versions');
    const run = await runThoth(['--db', path, 'cache', 'check', '-o', 'json'], { env: env() });
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as { ok: boolean; problems: string[] };
    expect(report.ok).toBe(false);
    expect(report.problems.length).toBeGreaterThan(0);
  });
});

describe('hostile query flags', () => {
  it('a --since before the first date JavaScript knows and a --limit beyond 2^53 are usage errors', async () => {
    const since = await runThoth(['--db', good, 'query', 'workflows', '--since', '9999999999d'], { env: env() });
    expectOneLineError(since, 2, /--since/);
    const limit = await runThoth(['--db', good, 'query', 'workflows', '--limit', '99999999999999999999999'], { env: env() });
    expectOneLineError(limit, 2, /--limit/);
  });
});
