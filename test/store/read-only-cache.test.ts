/**
 * A reader of a WAL cache in a folder it cannot write (another user's, or a
 * read-only mount) cannot make the -shm file SQLite's shared readers use:
 * `thoth query` then opens the file immutable and says what it reads may be
 * stale, instead of failing with "attempt to write a readonly database".
 * Run as root (who writes anywhere), the reader runs where the folder is a
 * read-only bind mount (a mount namespace of its own: EROFS stops root too);
 * otherwise the folder is made read-only for this user.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, runThoth } from '../support/cli.js';

const STREAM = fileURLToPath(new URL('../../fixtures/streams/continuous-learning.ndjson', import.meta.url));
const root = process.getuid?.() === 0;
let dir: string;
let folder: string;
let db: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-readonly-'));
  folder = join(dir, 'cache');
  db = join(folder, 'thoth.db');
  expect((await runThoth(['--db', db, 'replay', STREAM], { env: cleanEnv() })).code).toBe(0);
  if (!root) chmodSync(folder, 0o555);
});

afterAll(() => {
  chmodSync(folder, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

const READ_ONLY_MOUNT = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"';

function reader(args: string[]) {
  const command = [process.execPath, BIN, '--db', db, ...args];
  const [file, ...rest] = root
    ? ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', READ_ONLY_MOUNT, 'sh', folder, ...command]
    : command;
  const result = spawnSync(file, rest, { encoding: 'utf8', env: cleanEnv({ HOME: dir }) });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('a cache in a folder the reader cannot write', () => {
  it('query stats and query sql read it, saying it may be stale', () => {
    const stats = reader(['query', 'stats', '-o', 'json']);
    expect(stats.stderr).not.toContain('readonly database');
    expect(stats.code).toBe(0);
    expect((JSON.parse(stats.stdout) as { log: { records: number } }).log.records).toBe(9);
    expect(stats.stderr).toContain(`warning: ${db} is opened read-only and immutable`);
    expect(stats.stderr).toContain('may be stale');

    const sql = reader(['query', 'sql', 'SELECT count(*) AS n FROM log_records', '-o', 'json']);
    expect(sql.code).toBe(0);
    expect(JSON.parse(sql.stdout)).toEqual([{ n: 9 }]);
  });
});
