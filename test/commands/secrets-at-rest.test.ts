/**
 * Secrets at rest and in output: the cache is private to its owner, index URLs
 * with user info and authorization/token headers are masked like password
 * fields (in tail, in the cache's dead letters), a malformed --broker never
 * echoes a password, and submit -p refuses a parameter that carries one.
 */
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runThoth } from '../support/cli.js';

const INDEX = 'https://index.example/simple';
const PASSWORD = 'PW-7f3a91';
const TOKEN = 'TOKEN-5be2c0';

let dir: string;
const env = (extra: NodeJS.ProcessEnv = {}) => cleanEnv({ THOTH_INDEX_URLS: INDEX, KUBECONFIG: join(dir, 'no-kubeconfig'), ...extra });

function hostileLine(value: Record<string, unknown> = {}) {
  return JSON.stringify({
    topic: 'thoth.investigator.unresolved-package',
    key: 'requests==1.0',
    headers: { authorization: `Bearer ${TOKEN}`, 'x-api-token': TOKEN, 'thoth-adviser-id': 'not an id!' },
    value: {
      component_name: 'adviser',
      service_version: '0.1.0',
      version: 'v1',
      package_name: 'requests',
      index_url: `https://alice:${PASSWORD}@index.example/simple`,
      package_version: '1.0',
      solver: null,
      ...value,
    },
    timestamp: '2021-11-27T10:00:00.000Z',
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-secrets-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the cache file', () => {
  it('is created 0600 in folders created 0700; a wider existing one is reported', async () => {
    const home = join(dir, 'home', 'nested');
    const file = join(dir, 'stream.ndjson');
    writeFileSync(file, `${hostileLine()}\n`);
    const replay = await runThoth(['replay', '--include-invalid', file], { env: env({ THOTH_HOME: home }) });
    expect(replay.code).toBe(0);
    expect(statSync(join(dir, 'home')).mode & 0o777).toBe(0o700);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, 'thoth.db')).mode & 0o777).toBe(0o600);
    expect(replay.stderr).not.toContain('open to other users');

    chmodSync(join(home, 'thoth.db'), 0o644);
    const query = await runThoth(['query', 'stats', '-o', 'json'], { env: env({ THOTH_HOME: home }) });
    expect(query.code).toBe(0);
    expect(query.stderr).toContain(`warning: the knowledge cache ${join(home, 'thoth.db')} is open to other users (mode 0644)`);
  });
});

describe('tail', () => {
  let db: string;
  beforeAll(async () => {
    db = join(dir, 'tail.db');
    const file = join(dir, 'tail.ndjson');
    writeFileSync(file, `${hostileLine()}\n`);
    expect((await runThoth(['--db', db, 'replay', '--include-invalid', file], { env: env() })).code).toBe(0);
  });

  const tail = (format: string, ...extra: string[]) =>
    runThoth(['--db', db, 'tail', 'unresolved-package', '--exit-at-end', '-o', format, ...extra], { env: env(), tty: format === 'pretty' });

  it.each(['pretty', 'ndjson', 'json'])('-o %s masks URL user info and authorization/token headers', async (format) => {
    const run = await tail(format);
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
    expect(run.stdout).toContain('https://***@index.example/simple');
  });

  it('--show-secrets shows them', async () => {
    const run = await tail('ndjson', '--show-secrets');
    const record = JSON.parse(run.stdout) as { headers: Record<string, string>; value: { index_url: string } };
    expect(record.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(record.value.index_url).toBe(`https://alice:${PASSWORD}@index.example/simple`);
  });
});

describe('dead letters in the cache', () => {
  it('keep headers with authorization and tokens masked', async () => {
    const db = join(dir, 'dead.db');
    const file = join(dir, 'dead.ndjson');
    writeFileSync(file, `${hostileLine({ package_version: 'not a version!' })}\n`);
    const run = await runThoth(['--db', db, 'investigate', '--from', file, '--allow-dead-letters', '-o', 'ndjson', '--port', 'none'], {
      env: env(),
    });
    expect(run.code).toBe(0);
    const sqlite = new Database(db, { readonly: true });
    const rows = sqlite.prepare('SELECT headers, value FROM dead_letters').all() as Array<{ headers: string; value: string }>;
    sqlite.close();
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0].headers)).toMatchObject({ authorization: '***', 'x-api-token': '***' });
    expect(rows[0].headers + rows[0].value).not.toContain(TOKEN);
    expect(rows[0].headers + rows[0].value).not.toContain(PASSWORD);
  });
});

describe('command-line values', () => {
  it('a malformed --broker with user info never echoes the password', async () => {
    for (const broker of [`kafka://alice:${PASSWORD}@h:1`, `alice:${PASSWORD}@h:x`, `https://alice:${PASSWORD}@h:1`]) {
      const run = await runThoth(['--broker', broker, 'topics'], { env: env() });
      expect(run.code).toBe(2);
      expect(run.stderr).not.toContain(PASSWORD);
      expect(run.stderr).toContain('***@');
    }
  });

  it('submit -p refuses a value whose JSON carries a password field, pointing at --secret', async () => {
    const run = await runThoth(
      ['submit', 'solver', 'requests==2.25.1', '-p', `THOTH_EXTRA={"db":{"db_password":"${PASSWORD}"}}`, '--dry-run', 'client'],
      { env: env({ THOTH_HOME: dir }) },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('-p THOTH_EXTRA: the value carries a password field (db.db_password)');
    expect(run.stderr).toContain('--secret ENV=SECRET_NAME:KEY');
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });
});
