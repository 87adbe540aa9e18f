import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, openStore, type Store } from '../../src/store/index.js';
import { BIN, cleanEnv, runThoth } from '../support/cli.js';
import { INDEX, key, tempDbPath } from '../store/temp.js';

const SOLVERS = 'solver-rhel-8-py38,solver-fedora-35-py310';
const env = cleanEnv({ THOTH_SOLVERS: SOLVERS });

const workflow = (name: string, kind: string, status: 'recorded' | 'Succeeded' | 'Failed', createdAt: string, source: boolean) => ({
  name,
  kind,
  namespace: 'thoth',
  parameters: { THOTH_SOLVER_NAME: 'solver-rhel-8-py38', THOTH_SOLVER_PACKAGES: 'requests===2.25.1' },
  idempotencyKey: `key-${name}`,
  status,
  source: source ? { topic: 'thoth.investigator.unresolved-package', partition: 0, offset: 4 } : null,
  createdAt,
  updatedAt: createdAt,
  packageName: 'requests',
  packageVersion: '2.25.1',
  indexUrl: INDEX,
});

/** A cache with a little of everything, written through the store API. */
function seeded(): { path: string; store: Store } {
  const path = tempDbPath();
  const store = openStore(path, { create: true, indexUrls: INDEX });
  store.transaction(() => {
    const requests = key('requests', '2.25.1');
    store.recordUnresolved(requests, '2024-05-01T12:00:00Z');
    store.addAdviceWait('adviser-7', 'latest', requests);
    store.recordSolved(requests, 'solver-rhel-8-py38');
    store.setHashPresent(requests, ['sha256:aa'], true);
    store.recordSolved(key('requests', '2.26.0'), 'solver-rhel-8-py38');
    store.recordSolved(key('requests', '2.26.0'), 'solver-fedora-35-py310', { error: true });
    store.setSecurityIndicatorState(key('requests', '2.26.0'), 'done');
    store.recordVersion(key('urllib3', '1.0.0'));
    store.setMissing(key('urllib3', '1.0.0'), true);
    store.recordWorkflow(workflow('solver-requests-aaa', 'solver', 'recorded', '2024-05-01T12:00:01.000Z', true));
    store.recordWorkflow(workflow('security-indicators-requests-bbb', 'security-indicators', 'Failed', '2024-05-02T09:00:00.000Z', false));
    store.recordDeadLetter({
      topic: 'thoth.solver.solved-package',
      partition: 0,
      offset: 12,
      errorClass: 'not-json',
      reason: 'Unexpected token o',
      value: 'oops',
      headers: {},
      createdAt: '2024-05-01T12:00:00Z',
    });
    store.recordDeadLetter({
      topic: 'thoth.solver.solved-package',
      partition: 0,
      offset: 13,
      errorClass: 'schema',
      reason: 'solver: required',
      value: { package_name: 'x', n: 1 },
      headers: {},
      createdAt: '2024-05-01T12:00:01Z',
    });
  });
  store.appendRecords([{ topic: 'thoth.solver.solved-package', key: null, headers: {}, value: '{}' }]);
  return { path, store };
}

async function queryJson(path: string, ...args: string[]): Promise<unknown> {
  const result = await runThoth(['--db', path, 'query', ...args, '-o', 'json'], { env });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

describe('thoth query', () => {
  it('prints the workflow ledger as the documented JSON, with filters', async () => {
    const { path, store } = seeded();
    store.close();
    const both = [
      {
        name: 'solver-requests-aaa',
        kind: 'solver',
        namespace: 'thoth',
        parameters: { THOTH_SOLVER_NAME: 'solver-rhel-8-py38', THOTH_SOLVER_PACKAGES: 'requests===2.25.1' },
        status: 'recorded',
        created_at: '2024-05-01T12:00:01.000Z',
        source: { topic: 'thoth.investigator.unresolved-package', partition: 0, offset: 4 },
      },
      {
        name: 'security-indicators-requests-bbb',
        kind: 'security-indicators',
        namespace: 'thoth',
        parameters: { THOTH_SOLVER_NAME: 'solver-rhel-8-py38', THOTH_SOLVER_PACKAGES: 'requests===2.25.1' },
        status: 'Failed',
        created_at: '2024-05-02T09:00:00.000Z',
        source: null,
      },
    ];
    expect(await queryJson(path, 'workflows')).toEqual(both);
    expect(await queryJson(path, 'workflows', '--kind', 'solver')).toEqual([both[0]]);
    expect(await queryJson(path, 'workflows', '--status', 'Failed')).toEqual([both[1]]);
    expect(await queryJson(path, 'workflows', '--since', '2024-05-02T00:00:00Z')).toEqual([both[1]]);
    expect(await queryJson(path, 'workflows', '--since', '10m')).toEqual([]);
  });

  it('prints dead letters with the value as received', async () => {
    const { path, store } = seeded();
    store.close();
    expect(await queryJson(path, 'dead-letters')).toEqual([
      {
        topic: 'thoth.solver.solved-package',
        partition: 0,
        offset: 12,
        error_class: 'not-json',
        reason: 'Unexpected token o',
        value: 'oops',
      },
      {
        topic: 'thoth.solver.solved-package',
        partition: 0,
        offset: 13,
        error_class: 'schema',
        reason: 'solver: required',
        value: { package_name: 'x', n: 1 },
      },
    ]);
  });

  it('answers what is known of one package', async () => {
    const { path, store } = seeded();
    store.close();
    const report = (await queryJson(path, 'package', 'Requests', '2.25.1')) as {
      name: string;
      versions: Array<Record<string, unknown>>;
      workflows: unknown[];
    };
    expect(report.name).toBe('requests');
    expect(report.versions).toHaveLength(1);
    expect(report.versions[0]).toMatchObject({
      version: '2.25.1',
      index_url: INDEX,
      is_missing: false,
      provides_source_distro: null,
      security_indicators: 'none',
      solvers: [{ solver: 'solver-rhel-8-py38', status: 'solved' }],
      lacking: ['solver-fedora-35-py310'],
      hashes: [{ hash: 'sha256:aa', present: true }],
      requests: [{ solver: null, count: 1, first_seen: '2024-05-01T12:00:00.000Z' }],
      advice_waiting: [{ adviser_id: 'adviser-7', recommendation_type: 'latest', re_run_published_at: null }],
    });
    expect(report.workflows).toHaveLength(2);
    const all = (await queryJson(path, 'package', 'requests')) as { versions: Array<{ version: string }> };
    expect(all.versions.map((v) => v.version)).toEqual(['2.25.1', '2.26.0']);

    const table = await runThoth(['--db', path, 'query', 'package', 'requests'], { env, tty: true });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^requests on https:\/\/index\.example\/simple: 2 version\(s\) known\n/);
    expect(table.stdout).toMatch(/VERSION\s+FEDORA-35-PY310\s+RHEL-8-PY38\s+SI\s+MISSING\s+SDIST\s+HASHES\s+REQUESTS\s+ADVICE WAITING\n/);
    expect(table.stdout).toMatch(/2\.25\.1\s+-\s+solved\s+none\s+no\s+\?\s+1\/1 present\s+1\s+adviser-7\n/);
    expect(table.stdout).toMatch(/2\.26\.0\s+error\s+solved\s+done\s+no\s+\?\s+-\s+-\s+-\n/);
    expect(table.stdout).toContain('security-indicators-requests-bbb');
    expect(table.stdout).not.toMatch(/\u001b\[/);

    const unknown = await runThoth(['--db', path, 'query', 'package', 'left-pad'], { env, tty: true });
    expect(unknown).toMatchObject({ code: 0, stdout: '', stderr: 'nothing is known of left-pad\n' });
  });

  it('lists unresolved, unsolved, SI-unanalyzed and missing versions, and indexes', async () => {
    const { path, store } = seeded();
    store.close();
    expect(await queryJson(path, 'unresolved')).toEqual([
      {
        package_name: 'requests',
        package_version: '2.25.1',
        index_url: INDEX,
        solver: null,
        first_seen: '2024-05-01T12:00:00.000Z',
        last_seen: '2024-05-01T12:00:00.000Z',
        count: 1,
        lacking: ['solver-fedora-35-py310'],
        advice_waiting: 1,
      },
    ]);
    expect(await queryJson(path, 'unsolved')).toEqual([
      { package_name: 'requests', package_version: '2.25.1', index_url: INDEX, lacking: ['solver-fedora-35-py310'] },
    ]);
    expect(await queryJson(path, 'unsolved', '--solver', 'solver-fedora-35-py310', '--limit', '1')).toEqual([
      { package_name: 'requests', package_version: '2.25.1', index_url: INDEX, lacking: ['solver-fedora-35-py310'] },
    ]);
    expect(await queryJson(path, 'unsolved', '--solver', 'solver-rhel-8-py38')).toEqual([]);
    expect(await queryJson(path, 'si-unanalyzed')).toEqual([
      { package_name: 'requests', package_version: '2.25.1', index_url: INDEX, security_indicators: 'none' },
    ]);
    expect(await queryJson(path, 'missing')).toEqual([{ package_name: 'urllib3', package_version: '1.0.0', index_url: INDEX }]);
    expect(await queryJson(path, 'indexes')).toEqual([{ url: INDEX, registered_at: expect.any(String), versions: 3 }]);
  });

  it('reports stats, as JSON and as YAML', async () => {
    const { path, store } = seeded();
    store.close();
    const stats = (await queryJson(path, 'stats')) as { schema_version: number; tables: Record<string, number>; log: unknown };
    expect(stats.tables).toMatchObject({ package_versions: 3, workflows: 2, dead_letters: 2, log_records: 1 });
    expect(stats.log).toEqual({ topics: 1, records: 1, groups: 0 });
    const yaml = await runThoth(['--db', path, 'query', 'stats', '-o', 'yaml'], { env });
    expect(parseYaml(yaml.stdout)).toEqual(stats);
  });

  it('runs one read-only SQL statement and refuses anything else, changing nothing', async () => {
    const { path, store } = seeded();
    store.close();
    expect(await queryJson(path, 'sql', 'SELECT package_name, count(*) AS n FROM package_versions GROUP BY 1 ORDER BY 1')).toEqual([
      { package_name: 'requests', n: 2 },
      { package_name: 'urllib3', n: 1 },
    ]);
    for (const sql of ['DELETE FROM workflows', 'SELECT 1; DELETE FROM workflows', 'DROP TABLE workflows', "ATTACH 'x.db' AS x", 'BEGIN']) {
      const refused = await runThoth(['--db', path, 'query', 'sql', sql], { env });
      expect(refused.code, sql).toBe(1);
      expect(refused.stderr, sql).toMatch(/^error: refused: /);
      expect(refused.stdout).toBe('');
    }
    const broken = await runThoth(['--db', path, 'query', 'sql', 'SELEC nothing'], { env });
    expect(broken).toMatchObject({ code: 1, stdout: '' });
    expect(broken.stderr).toMatch(/the SQL does not compile/);
    expect((await queryJson(path, 'workflows')) as unknown[]).toHaveLength(2);
  });

  it('reports SQL that fails while running in one line, and keeps same-named columns and 64-bit integers exact', async () => {
    const { path, store } = seeded();
    store.close();
    const failed = await runThoth(['--db', path, 'query', 'sql', "SELECT json('x')"], { env });
    expect(failed).toMatchObject({ code: 1, stdout: '' });
    expect(failed.stderr).toBe('error: the SQL failed while running: malformed JSON; nothing was changed\n');
    expect(await queryJson(path, 'sql', "SELECT 'a' AS x, 'b' AS x, 9007199254740993 AS big, 42 AS small")).toEqual([
      { x: 'a', 'x:2': 'b', big: '9007199254740993', small: 42 },
    ]);
  });

  it('stops a long SQL query at Ctrl-C', async () => {
    const { path, store } = seeded();
    store.close();
    const child = spawn(
      process.execPath,
      [BIN, '--db', path, 'query', 'sql', 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c'],
      { env, stdio: 'ignore' },
    );
    // Ctrl-C until it ends: the first may land before the query runs, when thoth's own handler takes it.
    const interrupting = setInterval(() => child.kill('SIGINT'), 500);
    const giveUp = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    clearInterval(interrupting);
    clearTimeout(giveUp);
    expect(signal === 'SIGINT' || code === 130, `ended with code ${code}, signal ${signal}`).toBe(true);
  });

  it('takes -o anywhere on the line, as a global option', async () => {
    const { path, store } = seeded();
    store.close();
    const before = await runThoth(['--db', path, '-o', 'yaml', 'query', 'stats'], { env });
    expect(before.code).toBe(0);
    expect(parseYaml(before.stdout)).toMatchObject({ schema_version: SCHEMA_VERSION });
    const between = await runThoth(['--db', path, 'query', '-o', 'json', 'workflows', '--kind', 'solver'], { env });
    expect((JSON.parse(between.stdout) as unknown[]).length).toBe(1);
    const refused = await runThoth(['--db', path, '-o', 'name', 'query', 'stats'], { env });
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toContain(`-o must be one of table, wide, json, yaml, got "name"`);
    const names = await runThoth(['--db', path, 'query', 'workflows', '-o', 'name'], { env });
    expect(names.stdout.trimEnd().split('\n')).toHaveLength(2);
    const lines = await runThoth(['--db', path, 'query', 'workflows', '-o', 'ndjson'], { env });
    expect(
      lines.stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { name: string }).name),
    ).toEqual(names.stdout.trimEnd().split('\n'));
  });

  it('takes filter values in any case, and refuses one that names nothing, listing the valid ones', async () => {
    const { path, store } = seeded();
    store.close();
    const failed = await runThoth(['--db', path, 'query', 'workflows', '--status', 'failed'], { env });
    expect(failed.code).toBe(0);
    expect((JSON.parse(failed.stdout) as Array<{ status: string }>).map((w) => w.status)).toEqual(['Failed']);
    const kind = await runThoth(['--db', path, 'query', 'workflows', '--kind', 'SOLVER'], { env });
    expect(JSON.parse(kind.stdout)).toHaveLength(1);
    for (const [args, message] of [
      [['workflows', '--kind', 'solvr'], `--kind must be one of solver, revsolver`],
      [['workflows', '--kind', 'solvr'], `got "solvr" (did you mean 'solver'?)`],
      [
        ['workflows', '--status', 'faild'],
        `--status must be one of recorded, Pending, Running, Succeeded, Failed, Error, got "faild" (did you mean 'Failed'?)`,
      ],
      [['unsolved', '--solver', 'nope'], '--solver must be one of solver-rhel-8-py38, solver-fedora-35-py310, got "nope"'],
      [['unsolved', '--solver', 'solver-rhel-8-py39'], `(did you mean 'solver-rhel-8-py38'?)`],
    ] as const) {
      const result = await runThoth(['--db', path, 'query', ...args], { env });
      expect(result, args.join(' ')).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr).toContain(message);
    }
    const solver = await runThoth(['--db', path, 'query', 'unsolved', '--solver', 'Solver-RHEL-8-py38'], { env });
    expect(solver.code).toBe(0);
  });

  it('honours --limit 0 in every list', async () => {
    const { path, store } = seeded();
    store.close();
    for (const query of ['unresolved', 'unsolved', 'si-unanalyzed', 'missing', 'workflows', 'dead-letters']) {
      expect(await queryJson(path, query, '--limit', '0'), query).toEqual([]);
    }
  });

  it('prints aligned tables, coloured only on a terminal without NO_COLOR', async () => {
    const { path, store } = seeded();
    store.close();
    const plain = await runThoth(['--db', path, 'query', 'workflows'], { env, tty: true });
    const lines = plain.stdout.trimEnd().split('\n');
    // 120 columns: the source, the least useful column, gives way; -o wide shows it.
    expect(lines[0]).toMatch(/^NAME\s+KIND\s+NAMESPACE\s+STATUS\s+CREATED$/);
    const wide = await runThoth(['--db', path, 'query', 'workflows', '-o', 'wide'], { env, tty: true });
    expect(wide.stdout.split('\n')[0]).toMatch(/^NAME\s+KIND\s+NAMESPACE\s+STATUS\s+CREATED\s+SOURCE$/);
    const statusColumn = lines[0].indexOf('STATUS');
    expect(lines.slice(1).map((l) => l.slice(statusColumn).split(/\s+/)[0])).toEqual(['recorded', 'Failed']);
    const coloured = await runThoth(['--db', path, 'query', 'workflows'], { env: { ...env, NO_COLOR: undefined }, tty: true });
    expect(coloured.stdout).toMatch(/\u001b\[31mFailed/);
    const piped = await runThoth(['--db', path, 'query', 'workflows'], { env: { ...env, NO_COLOR: undefined } });
    expect(JSON.parse(piped.stdout)).toHaveLength(2);
  });

  it('rejects unknown queries and options as usage errors', async () => {
    const { path, store } = seeded();
    store.close();
    for (const args of [
      ['query', 'nonsense'],
      ['query', 'workflows', '--colour'],
      ['query', 'stats', '-o', 'xml'],
      ['query', 'workflows', '--since', 'yesterday'],
      ['query', 'unsolved', '--limit', '-3'],
      ['query'],
    ]) {
      const result = await runThoth(['--db', path, ...args], { env });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.length).toBeGreaterThan(0);
    }
    const help = await runThoth(['query', 'workflows', '--help'], { env });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('$ thoth query workflows --kind solver --status failed');
  });

  it('says so when there is no cache, and creates none', async () => {
    const path = tempDbPath();
    const result = await runThoth(['--db', path, 'query', 'stats'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: no knowledge cache at ${path}`);
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a file that is not a thoth cache, and one from a newer thoth', async () => {
    const path = tempDbPath();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, 'not a database at all, just text that is long enough\n');
    const notDb = await runThoth(['--db', path, 'query', 'stats'], { env });
    expect(notDb.code).toBe(1);
    expect(notDb.stderr).toMatch(/is not a thoth knowledge cache/);

    const newer = tempDbPath();
    openStore(newer, { create: true }).close();
    const db = new Database(newer);
    db.pragma('user_version = 99');
    db.close();
    const refused = await runThoth(['--db', newer, 'query', 'stats'], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`newer thoth (schema version 99; this thoth knows up to ${SCHEMA_VERSION})`);
  });
});
