import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { spawnThoth } from '../support/cli.js';
import { SCHEMA_VERSION, openStore } from '../../src/store/index.js';
import { migrate } from '../../src/store/migrations.js';
import { INDEX, key, tempDbPath } from './temp.js';

describe('opening the knowledge cache', () => {
  it('creates the file and its folders only when asked to, and migrates from version 0', () => {
    const path = tempDbPath();
    expect(() => openStore(path, { create: false })).toThrowError(
      expect.objectContaining({ message: `no knowledge cache at ${path}`, hint: expect.stringMatching(/--db/) }),
    );
    expect(() => openStore(path, { readonly: true })).toThrow(/no knowledge cache at/);
    expect(existsSync(path)).toBe(false);

    const store = openStore(path, { create: true });
    expect(store.stats().schema_version).toBe(SCHEMA_VERSION);
    store.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('keeps what was written across reopening, read-only too', () => {
    const path = tempDbPath();
    const store = openStore(path, { create: true });
    store.recordSolved(key('Flask', '2.0.1'), 'solver-a');
    store.close();
    const again = openStore(path, { readonly: true });
    expect(again.isSolved(key('flask', '2.0.1'), 'solver-a')).toBe(true);
    expect(() => again.recordVersion(key('flask', '3.0.0'))).toThrow(/readonly/i);
    again.close();
  });

  it('upgrades a version-1 cache (before group leases and dead-letter origins) to the current schema, keeping its data', () => {
    const path = tempDbPath();
    // The file as thoth wrote it at schema version 1.
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    migrate(db, 1);
    db.exec(`
      INSERT INTO package_versions (id, package_name, package_version, index_url, first_seen) VALUES (1, 'flask', '2.0.1', '${INDEX}', '2024-01-01T00:00:00.000Z');
      INSERT INTO solver_results (version_id, solver, solved_at) VALUES (1, 'solver-a', '2024-01-01T00:00:00.000Z');
      INSERT INTO log_group_offsets (group_id, topic, partition, "offset", committed_at) VALUES ('g', 't', 0, 1, '2024-01-01T00:00:00.000Z');
      INSERT INTO dead_letters (topic, partition, "offset", error_class, reason, value, value_is_json, headers, created_at)
        VALUES ('t', 0, 3, 'NotJson', 'not JSON', 'oops', 0, '{}', '2024-01-01T00:00:00.000Z');
    `);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    db.close();

    // A read-only open upgrades it once, like a writable one.
    const reader = openStore(path, { readonly: true });
    expect(reader.stats().schema_version).toBe(SCHEMA_VERSION);
    expect(reader.isSolved(key('flask', '2.0.1'), 'solver-a')).toBe(true);
    expect(reader.committedOffset('g', 't', 0)).toBe(1);
    expect(reader.deadLettersReport()).toEqual([
      { topic: 't', partition: 0, offset: 3, error_class: 'NotJson', reason: 'not JSON', value: 'oops' },
    ]);
    reader.close();
    const store = openStore(path, { create: true });
    expect(SCHEMA_VERSION).toBe(8);
    // A dead letter from before keys were kept: its key is unknown (not null), and it was never re-driven.
    expect(store.deadLetters()).toEqual([expect.objectContaining({ id: 1, origin: '', topic: 't', offset: 3, redrives: [] })]);
    expect('key' in store.deadLetters()[0]).toBe(false);
    expect(store.acquireLease('g', 't', 0, 'member', Date.now(), 1_000)).toEqual({ owner: 'member', generation: 1 });
    // The same position read from two sources is two dead letters.
    for (const origin of ['file:/a.ndjson', 'file:/b.ndjson']) {
      store.recordDeadLetter({
        origin,
        topic: 't',
        partition: 0,
        offset: 3,
        errorClass: 'NotJson',
        reason: `from ${origin}`,
        value: 'x',
        headers: {},
        createdAt: '2024-01-02T00:00:00.000Z',
      });
    }
    expect(store.deadLettersReport().map((d) => d.reason)).toEqual(['not JSON', 'from file:/a.ndjson', 'from file:/b.ndjson']);
    store.close();
  });

  it('upgrades a version-5 cache: every fact kept, in a table that keeps rows in arrival order', () => {
    const path = tempDbPath();
    const written = openStore(path, { create: true });
    written.recordSolved(key('flask', '2.0.1'), 'solver-a');
    written.recordSolved(key('flask', '2.0.2'), 'solver-b');
    const before = written.factRecords(null, 100);
    written.close();
    // The same facts in the table as schema version 5 kept them (clustered by key).
    const db = new Database(path);
    db.exec(`
      CREATE TABLE facts_v5 (key TEXT PRIMARY KEY, kind TEXT NOT NULL, index_url TEXT, package_name TEXT, package_version TEXT,
        subject TEXT, value TEXT NOT NULL, at TEXT NOT NULL) WITHOUT ROWID;
      INSERT INTO facts_v5 SELECT key, kind, index_url, package_name, package_version, subject, value, at FROM facts;
      DROP TABLE facts;
      ALTER TABLE facts_v5 RENAME TO facts;
      CREATE INDEX facts_version ON facts (package_name, package_version, index_url);
      CREATE INDEX facts_subject ON facts (kind, subject);
      DROP INDEX workflows_unfinished;
      CREATE INDEX workflows_kind_status ON workflows (kind, status, created_at);
    `);
    db.pragma('user_version = 5');
    db.close();

    const store = openStore(path, { create: true });
    expect(store.stats().schema_version).toBe(SCHEMA_VERSION);
    expect(store.factRecords(null, 100)).toEqual(before);
    expect(store.isSolved(key('flask', '2.0.2'), 'solver-b')).toBe(true);
    // A fact read again with the value the cache holds changes nothing; another value for its key replaces it.
    const again = store.transaction(() => store.applyFactRecords([before[0]]));
    expect(again).toMatchObject({ applied: 1, touched: { versions: [] } });
    const later = { key: before[0].key, value: before[0].value!.replace(/"at":"[^"]+"/, '"at":"2030-01-01T00:00:00.000Z"') };
    expect(later.value).not.toBe(before[0].value);
    expect(store.transaction(() => store.applyFactRecords([later])).touched.versions).toHaveLength(1);
    store.close();
    const upgraded = new Database(path, { readonly: true });
    expect((upgraded.prepare(`SELECT sql FROM sqlite_master WHERE name = 'facts'`).get() as { sql: string }).sql).not.toMatch(
      /WITHOUT ROWID/,
    );
    // Schema 7: the index no query used is gone; the unfinished workflows and the versions' facts have their own.
    expect(
      (
        upgraded
          .prepare(
            `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('workflows', 'facts') AND sql IS NOT NULL ORDER BY name`,
          )
          .all() as Array<{ name: string }>
      ).map((r) => r.name),
    ).toEqual(['facts_subject', 'facts_version', 'workflows_created', 'workflows_key', 'workflows_package', 'workflows_unfinished']);
    upgraded.close();
  });

  it('names the folder it cannot create, even under /proc where recursive mkdir spins forever', async () => {
    const result = await spawnThoth(
      [
        '--db',
        '/proc/thoth-no-such-folder/thoth.db',
        'publish',
        'repo-init',
        '--field',
        'project_url=https://github.com/thoth-station/thoth',
      ],
      { timeoutMs: 30_000 },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: cannot create the folder /proc/thoth-no-such-folder for the knowledge cache (ENOENT)');
  });

  it('refuses a cache written by a newer thoth, naming both schema versions', () => {
    const path = tempDbPath();
    openStore(path, { create: true }).close();
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 4}`);
    db.close();
    for (const options of [{ create: true }, { readonly: true }]) {
      expect(() => openStore(path, options)).toThrow(`schema version ${SCHEMA_VERSION + 4}; this thoth knows up to ${SCHEMA_VERSION}`);
    }
  });

  it('refuses a file that is not a database and leaves it untouched', () => {
    const path = tempDbPath();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, 'package_name,version\nrequests,2.25.1\n');
    const before = readFileSync(path);
    expect(() => openStore(path, { create: true })).toThrow(/is not a thoth knowledge cache \(not an SQLite database\)/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it("refuses another program's SQLite database and leaves it untouched", () => {
    const path = tempDbPath();
    mkdirSync(dirname(path), { recursive: true });
    const other = new Database(path);
    other.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine')");
    other.close();
    const before = readFileSync(path);
    expect(() => openStore(path, { create: true })).toThrow(/an SQLite database of another program/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('reports a corrupt cache as such and never overwrites it', () => {
    const path = tempDbPath();
    const store = openStore(path, { create: true });
    store.transaction(() => {
      for (let i = 0; i < 2000; i++) store.recordVersion(key(`pkg-${i}`, '1.0.0'));
    });
    store.close();
    const bytes = readFileSync(path);
    // Keep the 100-byte header, scramble the rest of the first page and beyond.
    for (let i = 100; i < bytes.length; i += 7) bytes[i] = (bytes[i] + 91) & 0xff;
    writeFileSync(path, bytes);
    let error: unknown;
    try {
      const broken = openStore(path, { readonly: true });
      broken.stats();
      broken.close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/is damaged/);
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('starts a cache in an empty file only for commands that write', () => {
    const path = tempDbPath();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '');
    expect(() => openStore(path, { readonly: true })).toThrow(`${path} holds no thoth data yet`);
    const store = openStore(path, { create: false });
    expect(store.stats().schema_version).toBe(SCHEMA_VERSION);
    store.close();
  });
});
