/**
 * `thoth investigate` as a user runs it: over a recorded file, over the
 * embedded broker until idle, against a (fake) cluster, stopped by a signal.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanEnv, runThoth } from '../support/cli.js';
import { eventually } from '../support/eventually.js';

const INDEX = 'https://index.example/simple';
const STREAM = fileURLToPath(new URL('../../fixtures/streams/continuous-learning.ndjson', import.meta.url));

let dir: string;
let db: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-investigate-'));
  db = join(dir, 'thoth.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const env = (extra: NodeJS.ProcessEnv = {}) => cleanEnv({ THOTH_INDEX_URLS: INDEX, KUBECONFIG: join(dir, 'no-kubeconfig'), ...extra });
const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

function body(fields: Record<string, unknown>) {
  return { component_name: 'test', service_version: '1.0.0', version: 'v1', ...fields };
}
function envelope(topic: string, value: unknown) {
  return JSON.stringify({ topic, key: null, headers: {}, value, timestamp: 1700000000000 });
}
const unresolved = (name: string, version: string) =>
  envelope(
    'thoth.investigator.unresolved-package',
    body({ package_name: name, package_version: version, index_url: INDEX, solver: 'solver-rhel-8-py38' }),
  );

describe('thoth investigate --from', () => {
  it('replays the whole loop of a recorded stream, records workflows, and ends with a summary', async () => {
    const result = await runThoth(['--db', db, 'investigate', '--from', STREAM], { env: env() });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('workflows: record mode, the default with --from');
    const events = lines(result.stdout);
    expect(events[0]).toMatchObject({ event: 'started', workflows: 'record' });
    const summary = events.at(-1)!;
    expect(summary).toMatchObject({ event: 'summary', reason: 'end', counts: { deadLetters: 0, published: 1 } });
    // The adviser-re-run the investigator published was handled in the same run.
    expect(events.some((e) => e.event === 'received' && e.type === 'adviser-re-run')).toBe(true);

    const ledger = await runThoth(['--db', db, 'query', 'workflows', '-o', 'json'], { env: env() });
    const workflows = JSON.parse(ledger.stdout) as Array<{ name: string; kind: string; status: string }>;
    expect(workflows.map((w) => w.kind).sort()).toEqual(['adviser', 'security-indicators', 'solver', 'solver', 'solver']);
    expect((summary.workflows as Array<{ name: string }>).map((w) => w.name).sort()).toEqual(workflows.map((w) => w.name).sort());
    expect(summary.learned).toContain(`requests==2.25.1 (${INDEX}) solved by solver-rhel-8-py38`);
  });

  it('schedules nothing twice when the same stream is replayed again', async () => {
    await runThoth(['--db', db, 'investigate', '--from', STREAM], { env: env() });
    const again = await runThoth(['--db', db, 'investigate', '--from', STREAM], { env: env() });
    const summary = lines(again.stdout).at(-1)!;
    expect(summary).toMatchObject({ counts: { workflowsScheduled: 0 }, workflows: [] });
    const ledger = JSON.parse((await runThoth(['--db', db, 'query', 'workflows', '-o', 'json'], { env: env() })).stdout) as unknown[];
    expect(ledger).toHaveLength(5);
  });

  it('reads each value as recorded, the bytes an investigator on a broker reads after replay', async () => {
    const file = join(dir, 'stream.ndjson');
    const line = unresolved('flask', '2.0.1');
    writeFileSync(file, `${line}\n`);
    // The line holds the value compact; Python's json.dumps would write it with spaces.
    const recorded = JSON.stringify(JSON.parse(line).value);
    const receivedBytes = (stdout: string) => lines(stdout).find((e) => e.event === 'received')?.bytes;

    const fromFile = await runThoth(['--db', db, 'investigate', '--from', file], { env: env() });
    expect(fromFile.code).toBe(0);
    expect(receivedBytes(fromFile.stdout)).toBe(Buffer.byteLength(recorded));

    const brokerDb = join(dir, 'broker.db');
    expect((await runThoth(['--db', brokerDb, 'replay', file], { env: env() })).code).toBe(0);
    const fromBroker = await runThoth(['--db', brokerDb, 'investigate', '--until-idle', '0.5', '--port', 'none'], { env: env() });
    expect(receivedBytes(fromBroker.stdout)).toBe(Buffer.byteLength(recorded));
  });

  it('dead-letters a bad message, reports an unreadable line by number, and goes on', async () => {
    const file = join(dir, 'stream.ndjson');
    writeFileSync(
      file,
      [envelope('thoth.solver.solved-package', '{"not": json'), 'this line is not an envelope', unresolved('flask', '2.0.1')].join('\n'),
    );
    const result = await runThoth(['--db', db, 'investigate', '--from', file], { env: env() });
    // It goes on to the end, and then says that a check of this stream failed.
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'warning: 1 message was dead-lettered (thoth dead-letters list); --allow-dead-letters or --expect with them listed when that is expected',
    );
    expect(result.stderr).toMatch(/stream\.ndjson:2: /);
    const summary = lines(result.stdout).at(-1)!;
    expect(summary).toMatchObject({ counts: { received: 2, processed: 1, deadLetters: 1, badLines: 1, workflowsScheduled: 1 } });
    const letters = JSON.parse((await runThoth(['--db', db, 'query', 'dead-letters', '-o', 'json'], { env: env() })).stdout) as unknown[];
    expect(letters).toEqual([
      {
        topic: 'thoth.solver.solved-package',
        partition: 0,
        offset: 0,
        error_class: 'NotJson',
        reason: expect.stringMatching(/not valid JSON/),
        value: '{"not": json',
      },
    ]);

    // Another file's first line is another record: its dead letter is kept beside the first one.
    const other = join(dir, 'other.ndjson');
    writeFileSync(other, envelope('thoth.solver.solved-package', '[]'));
    await runThoth(['--db', db, 'investigate', '--from', other], { env: env() });
    const both = JSON.parse((await runThoth(['--db', db, 'query', 'dead-letters', '-o', 'json'], { env: env() })).stdout) as Array<{
      error_class: string;
    }>;
    expect(both.map((l) => l.error_class)).toEqual(['NotJson', 'NotAnObject']);
  });

  it('trusts no index the stream names: with none registered it warns, and dead-letters what names one', async () => {
    const result = await runThoth(['--db', db, 'investigate', '--from', STREAM], { env: env({ THOTH_INDEX_URLS: '' }) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/warning: \d+ messages were dead-lettered/);
    expect(result.stderr).toContain('no package index is registered (THOTH_INDEX_URLS, --index-url)');
    const summary = lines(result.stdout).at(-1)!;
    expect(summary).toMatchObject({ counts: { workflowsScheduled: 0 } });
    const letters = JSON.parse((await runThoth(['--db', db, 'query', 'dead-letters', '-o', 'json'], { env: env() })).stdout) as Array<{
      error_class: string;
    }>;
    expect(letters.length).toBeGreaterThan(0);
    expect(new Set(letters.map((l) => l.error_class))).toEqual(new Set(['UnregisteredIndex']));
  });

  it('keeps passwords and URL credentials of a dead letter out of the log, the dead-letter topic headers and the cache', async () => {
    const file = join(dir, 'stream.ndjson');
    const value = body({
      package_name: 'flask',
      package_version: '2.0.1',
      index_url: 'https://user:s3cret@index.example/simple',
      solver: null,
      registry_password: 'PEXSECRET',
    });
    writeFileSync(file, envelope('thoth.investigator.unresolved-package', value));
    const result = await runThoth(['--db', db, 'investigate', '--from', file], { env: env() });
    expect(lines(result.stdout).at(-1)).toMatchObject({ counts: { deadLetters: 1 } });
    const letters = await runThoth(['--db', db, 'query', 'dead-letters', '-o', 'json'], { env: env() });
    const sql = await runThoth(['--db', db, 'query', 'sql', 'SELECT reason, value FROM dead_letters', '-o', 'json'], { env: env() });
    for (const text of [result.stdout, result.stderr, letters.stdout, sql.stdout]) {
      expect(text).not.toContain('s3cret');
      expect(text).not.toContain('PEXSECRET');
    }
    expect(JSON.parse(letters.stdout)).toEqual([
      expect.objectContaining({
        reason: expect.stringContaining('https://***@index.example/simple'),
        value: expect.objectContaining({ registry_password: '***' }),
      }),
    ]);
  });

  it("skips what investigators wrote for themselves in a recording of a deployment's topics, and handles the rest", async () => {
    // kcat -J of every topic of a deployment holds its knowledge, decisions and dead letters beside the messages.
    const file = join(dir, 'stream.ndjson');
    writeFileSync(
      file,
      [
        JSON.stringify({
          topic: 'prod.thoth.investigator.knowledge',
          key: JSON.stringify(['version', INDEX, 'flask', '2.0.1']),
          headers: {},
          value: { v: 1, at: '2026-12-07T06:27:22.024Z' },
          timestamp: 1700000000000,
        }),
        JSON.stringify({ topic: 'prod.thoth.investigator.dead-letter', key: null, headers: {}, value: { i: 1 }, timestamp: 1700000000000 }),
        unresolved('django', '3.2.4'),
      ].join('\n'),
    );
    const result = await runThoth(['--db', db, 'investigate', '--from', file], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    const events = lines(result.stdout);
    expect(events.filter((e) => e.event === 'skipped')).toMatchObject([
      { topic: 'prod.thoth.investigator.knowledge', reason: expect.stringContaining("an investigator's own topic") },
      { topic: 'prod.thoth.investigator.dead-letter', reason: expect.stringContaining("an investigator's own topic") },
    ]);
    expect(events.filter((e) => e.event === 'dead-letter')).toEqual([]);
    expect(events.at(-1)).toMatchObject({ counts: { received: 3, processed: 1, skipped: 2, deadLetters: 0 } });
    expect(result.stderr).toContain('2 skipped (not for this mode, or not a message)');
    // Nothing of the recorded knowledge was taken as known: flask is not in the cache.
    const flask = await runThoth(['--db', db, 'query', 'package', 'flask', '-o', 'json'], { env: env() });
    expect(flask.stdout).not.toContain('2.0.1');
  });

  it('dead-letters a message that keeps failing transiently after --max-retries, so a replay ends', async () => {
    // The index has no version list to give (nothing listens there): expanding the versions fails transiently.
    const closed = 'http://127.0.0.1:9/simple';
    const file = join(dir, 'stream.ndjson');
    writeFileSync(
      file,
      [
        envelope('thoth.investigator.unresolved-package', body({ package_name: 'flask', index_url: closed })),
        unresolved('django', '3.2.4'),
      ].join('\n'),
    );
    const result = await runThoth(
      [
        '--db',
        db,
        'investigate',
        '--from',
        file,
        '--max-retries',
        '2',
        '--index-url',
        closed,
        '--index-url',
        INDEX,
        '--allow-dead-letters',
      ],
      { env: env() },
    );
    expect(result.code).toBe(0);
    const events = lines(result.stdout);
    expect(events.filter((e) => e.event === 'retry')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ counts: { deadLetters: 1, processed: 1 } });
    const letters = JSON.parse((await runThoth(['--db', db, 'query', 'dead-letters', '-o', 'json'], { env: env() })).stdout) as Array<{
      error_class: string;
      reason: string;
    }>;
    expect(letters).toEqual([
      expect.objectContaining({ error_class: 'RetriesExhausted', reason: expect.stringMatching(/^gave up after 2 attempts: /) }),
    ]);
  });

  it('says when each batch is committed: --batch-max 2 commits five messages in three batches', async () => {
    const file = join(dir, 'stream.ndjson');
    writeFileSync(file, ['flask', 'django', 'numpy', 'scipy', 'pandas'].map((name) => unresolved(name, '1.0.0')).join('\n'));
    const result = await runThoth(['--db', db, 'investigate', '--from', file, '--batch-max', '2', '-o', 'ndjson'], { env: env() });
    expect(result.code).toBe(0);
    const events = lines(result.stdout).filter((e) => e.event === 'processed' || e.event === 'committed');
    const keys = events.map((e) => (e.event === 'committed' ? 'committed' : String(e.offset)));
    expect(keys).toEqual(['0', '1', 'committed', '2', '3', 'committed', '4', 'committed']);
  });

  it('on the embedded broker commits up to --batch-max records a batch, not one read of the log', async () => {
    const file = join(dir, 'stream.ndjson');
    writeFileSync(file, Array.from({ length: 600 }, (_, i) => unresolved(`package-${i}`, '1.0.0')).join('\n'));
    const copy = join(dir, 'copy.db');
    for (const cache of [db, copy]) expect((await runThoth(['--db', cache, 'replay', file], { env: env() })).code).toBe(0);
    const commits = async (cache: string, extra: string[]) => {
      const run = await runThoth(['--db', cache, 'investigate', '--until-idle', '0.5', '--port', 'none', ...extra], { env: env() });
      expect(lines(run.stdout).at(-1)).toMatchObject({ counts: { processed: 600 } });
      return lines(run.stdout).filter((e) => e.event === 'committed').length;
    };
    // The default bound (2,000) takes the 600 messages in one batch; 250 in three.
    expect(await commits(db, [])).toBe(1);
    expect(await commits(copy, ['--batch-max', '250'])).toBe(3);
  });

  it('refuses flags that do not fit together or do not parse', async () => {
    expect((await runThoth(['--db', db, 'investigate', '--from', STREAM, '--until-idle', '3'], { env: env() })).code).toBe(2);
    expect((await runThoth(['--db', db, 'investigate', '--workflows', 'somewhere'], { env: env() })).stderr).toContain(
      '--workflows must be "cluster" or "record"',
    );
    expect((await runThoth(['--db', db, 'investigate', '--port', 'eighty'], { env: env() })).code).toBe(2);
    expect((await runThoth(['--db', db, 'investigate', '--mode', 'frontend'], { env: env() })).stderr).toContain('unknown mode "frontend"');
    expect((await runThoth(['--db', db, 'investigate', '--pending-limit', '0'], { env: env() })).code).toBe(2);
  });

  it('prints only the summary for people with -o text when piped', async () => {
    const result = await runThoth(['--db', db, 'investigate', '--from', STREAM, '-o', 'table'], { env: env() });
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith('Messages: 10 (')).toBe(true);
    expect(result.stdout).toContain(`  - requests==2.24.0 (${INDEX}) is missing from its index`);
    expect(result.stdout).toMatch(/recorded\s+adviser\s+thoth\/adviser-stable-/);
    expect(result.stdout).not.toContain('{"ts"');
  });

  it('prints the summary for people on a terminal', async () => {
    const result = await runThoth(['--db', db, 'investigate', '--from', STREAM], { env: env(), tty: true });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Learned (');
    expect(result.stdout).toMatch(/Workflows \(5\):/);
    expect(result.stdout).toMatch(/recorded\s+solver\s+thoth\/solver-requests-2-25-1-rhel-8-py38-/);
    expect(result.stdout).toContain(`Cache ${db}`);
    expect(result.stdout).toContain('last events');
  });
});

describe('thoth investigate on the embedded broker', () => {
  it('consumes until idle, commits, and does not redo anything on the next start', async () => {
    const file = join(dir, 'stream.ndjson');
    writeFileSync(file, [unresolved('flask', '2.0.1'), unresolved('django', '3.2.4')].join('\n'));
    expect((await runThoth(['--db', db, 'replay', file], { env: env() })).code).toBe(0);

    const first = await runThoth(['--db', db, 'investigate', '--until-idle', '0.5', '--port', 'none'], { env: env() });
    expect(first.code).toBe(0);
    const events = lines(first.stdout);
    expect(events.filter((e) => e.event === 'processed')).toHaveLength(2);
    // The batch's commit is logged after what it committed.
    const lastProcessed = events.map((e) => e.event).lastIndexOf('processed');
    expect(events.slice(lastProcessed).some((e) => e.event === 'committed')).toBe(true);
    expect(events.at(-2)).toMatchObject({ event: 'stopped', reason: 'idle' });
    expect(events.at(-1)).toMatchObject({ event: 'summary', reason: 'idle', counts: { workflowsScheduled: 2 } });

    const second = await runThoth(['--db', db, 'investigate', '--until-idle', '0.5', '--port', 'none'], { env: env() });
    expect(lines(second.stdout).at(-1)).toMatchObject({ counts: { received: 0, workflowsScheduled: 0 } });

    // Another group reads the same records again: the inbox says they are done, and the user is told once.
    const other = await runThoth(['--db', db, 'investigate', '--until-idle', '0.5', '--port', 'none', '--group', 'another'], {
      env: env(),
    });
    expect(lines(other.stdout).at(-1)).toMatchObject({ counts: { received: 0, duplicates: 2, workflowsScheduled: 0 } });
    expect(other.stderr.match(/already handled according to the cache's inbox/g)).toHaveLength(1);
  });

  it('--until-idle ends while a message keeps failing transiently: it stays uncommitted, named, and the run fails', async () => {
    // The index has no version list to give (nothing listens there): expanding the versions fails transiently, without end.
    // (What comes after it in its partition waits, as the order requires: it comes last here.)
    const closed = 'http://127.0.0.1:9/simple';
    const file = join(dir, 'stream.ndjson');
    writeFileSync(
      file,
      [
        unresolved('django', '3.2.4'),
        envelope('thoth.investigator.unresolved-package', body({ package_name: 'flask', index_url: closed })),
      ].join('\n'),
    );
    expect((await runThoth(['--db', db, 'replay', file], { env: env() })).code).toBe(0);
    const run = () =>
      runThoth(['--db', db, 'investigate', '--until-idle', '0.5', '--port', 'none', '--index-url', closed, '--index-url', INDEX], {
        env: env(),
      });
    const first = await run();
    expect(first.code).toBe(1);
    const events = lines(first.stdout);
    expect(events.filter((e) => e.event === 'retry').length).toBeGreaterThan(0);
    expect(events.filter((e) => e.event === 'processed')).toMatchObject([{ type: 'unresolved-package', offset: 0 }]);
    expect(events.find((e) => e.event === 'idle-exit')).toMatchObject({ idleSeconds: 0.5, failing: 1 });
    expect(events.at(-1)).toMatchObject({ event: 'summary', reason: 'idle', counts: { deadLetters: 0 } });
    expect(first.stderr).toContain('1 message was still failing transiently when the run went idle; left uncommitted');
    expect(first.stderr).toMatch(/thoth\.investigator\.unresolved-package\[0\]@1, \d+ attempts?: /);

    // Nothing was lost: the next run takes it again (and the one handled is not handled twice).
    const second = await run();
    expect(second.code).toBe(1);
    const again = lines(second.stdout);
    expect(again.filter((e) => e.event === 'processed')).toEqual([]);
    expect(again.find((e) => e.event === 'received')).toMatchObject({ offset: 1 });
    expect(JSON.parse((await runThoth(['--db', db, 'query', 'dead-letters', '-o', 'json'], { env: env() })).stdout)).toEqual([]);
  });

  it('writes a bad message to the dead-letter topic with its headers, then commits it', async () => {
    const file = join(dir, 'stream.ndjson');
    writeFileSync(file, [envelope('thoth.solver.solved-package', '[1,2,3]'), unresolved('flask', '2.0.1')].join('\n'));
    await runThoth(['--db', db, 'replay', '--include-invalid', file], { env: env() });
    const run = await runThoth(['--db', db, 'investigate', '--until-idle', '0.5', '--port', 'none'], { env: env() });
    expect(lines(run.stdout).at(-1)).toMatchObject({ counts: { deadLetters: 1, processed: 1 } });

    const dlq = await runThoth(['--db', db, 'tail', 'thoth.investigator.dead-letter', '--exit-at-end', '-o', 'ndjson'], { env: env() });
    const [letter] = lines(dlq.stdout);
    expect(letter).toMatchObject({
      topic: 'thoth.investigator.dead-letter',
      value: [1, 2, 3],
      headers: {
        'thoth-source-topic': 'thoth.solver.solved-package',
        'thoth-source-partition': '0',
        'thoth-source-offset': '0',
        'thoth-error-class': 'NotAnObject',
        'thoth-reason': expect.stringContaining('JSON array'),
      },
    });
  });

  it('stops at a corrupt cache without dead-lettering or committing anything', async () => {
    const file = join(dir, 'stream.ndjson');
    writeFileSync(file, [unresolved('flask', '2.0.1'), unresolved('django', '3.2.4')].join('\n'));
    expect((await runThoth(['--db', db, 'replay', file], { env: env() })).code).toBe(0);
    // Garbage over the first page of package_versions, which every one of these messages reads.
    const sqlite = new Database(db);
    const { rootpage } = sqlite.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'package_versions'").get() as { rootpage: number };
    const pageSize = sqlite.pragma('page_size', { simple: true }) as number;
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    sqlite.close();
    const fd = openSync(db, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0xab), 0, pageSize, (rootpage - 1) * pageSize);
    closeSync(fd);

    const run = await runThoth(['--db', db, 'investigate', '--until-idle', '0.5', '--port', 'none'], { env: env() });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: the knowledge cache ${db} is damaged`);
    expect(lines(run.stdout).filter((e) => e.event === 'dead-letter' || e.event === 'processed')).toEqual([]);
    const after = new Database(db, { readonly: true });
    expect(after.prepare('SELECT count(*) AS n FROM dead_letters').get()).toEqual({ n: 0 });
    expect(after.prepare('SELECT count(*) AS n FROM log_group_offsets').get()).toEqual({ n: 0 });
    expect(after.prepare("SELECT count(*) AS n FROM log_records WHERE topic = 'thoth.investigator.dead-letter'").get()).toEqual({ n: 0 });
    after.close();
  });

  it('stops on a signal: finishes, commits, exits 0', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort('SIGTERM'), 700);
    const result = await runThoth(['--db', db, 'investigate', '--port', 'none'], { env: env(), signal: controller.signal });
    expect(result.code).toBe(0);
    expect(lines(result.stdout).at(-1)).toMatchObject({ event: 'stopped', reason: 'signal' });
    expect(result.stderr).toContain('investigate: 0 message(s) received');
  });
});

describe('thoth investigate --workflows without a cluster', () => {
  // Against a cluster (workflows created once, real phases in the ledger, the token never printed):
  // test/cluster/investigate-streams.test.ts and investigate-phases.test.ts, on the real API server.
  it('records instead when no cluster is configured, and says so', async () => {
    const file = join(dir, 'stream.ndjson');
    writeFileSync(file, unresolved('flask', '2.0.1'));
    await runThoth(['--db', db, 'replay', file], { env: env() });
    const result = await runThoth(['--db', db, 'investigate', '--until-idle', '0.3', '--port', 'none'], { env: env() });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('recording them in the ledger instead (--workflows record)');
    expect(lines(result.stdout).at(-1)).toMatchObject({
      counts: { workflowsScheduled: 1 },
      workflows: [{ kind: 'solver', status: 'recorded' }],
    });
  });

  it('fails with a hint when --workflows cluster has no cluster', async () => {
    const result = await runThoth(['--db', db, 'investigate', '--from', STREAM, '--workflows', 'cluster'], { env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: .*(cluster|kubeconfig)/i);
  });
});

describe('operator endpoints of a running investigator', () => {
  async function freePort(): Promise<number> {
    const { createServer } = await import('node:net');
    return new Promise((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
  }

  it('--operator-token-file: /halt needs the token; a missing or short token file is refused before anything runs', async () => {
    const missing = await runThoth(['--db', db, 'investigate', '--port', '0', '--operator-token-file', join(dir, 'nope')], { env: env() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read --operator-token-file');
    const short = join(dir, 'short-token');
    writeFileSync(short, 'abc\n');
    const refused = await runThoth(['--db', db, 'investigate', '--port', '0', '--operator-token-file', short], { env: env() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).not.toContain('abc');

    const tokenFile = join(dir, 'token');
    const token = 'operator-token-0123456789abcdef';
    writeFileSync(tokenFile, `${token}\n`);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const controller = new AbortController();
    const running = runThoth(['--db', db, 'investigate', '--port', String(port), '--operator-token-file', tokenFile], {
      env: env(),
      signal: controller.signal,
    });
    try {
      await eventually(async () => (await fetch(`${url}/_health`)).ok, 'the endpoints', { timeoutMs: 20_000 });
      const path = `${url}/halt/thoth.investigator.unresolved-package`;
      expect((await fetch(path, { method: 'POST' })).status).toBe(401);
      const halt = await fetch(path, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect(await halt.json()).toMatchObject({ state: 'halted', changed: true });
    } finally {
      controller.abort();
    }
    const result = await running;
    expect(result.stdout + result.stderr).not.toContain(token);
  });

  it('refuses a --port that is taken, before taking any record', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    const port = await new Promise<number>((resolve) =>
      taken.listen(0, '127.0.0.1', () => resolve((taken.address() as { port: number }).port)),
    );
    try {
      const file = join(dir, 'stream.ndjson');
      writeFileSync(file, unresolved('flask', '2.0.1'));
      await runThoth(['--db', db, 'replay', file], { env: env() });
      const result = await runThoth(['--db', db, 'investigate', '--port', String(port), '--until-idle', '0.3'], { env: env() });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`error: cannot serve the operator endpoints on 127.0.0.1:${port}: port ${port} is in use`);
      expect(result.stderr).toContain('hint: pass another --port, --port 0 for a free one, or --port none');
      const ledger = JSON.parse((await runThoth(['--db', db, 'query', 'workflows', '-o', 'json'], { env: env() })).stdout) as unknown[];
      expect(ledger).toEqual([]);
    } finally {
      taken.close();
    }
  });

  it('serves /metrics and /_health, and /halt holds a topic back until /resume', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const controller = new AbortController();
    const running = runThoth(['--db', db, 'investigate', '--port', String(port)], { env: env(), signal: controller.signal });
    try {
      await eventually(async () => (await fetch(`${url}/_health`)).ok, 'the endpoints', { timeoutMs: 20_000 });
      const halt = await fetch(`${url}/halt/thoth.investigator.unresolved-package`, { method: 'POST' });
      expect(await halt.json()).toMatchObject({ state: 'halted', changed: true });
      expect(await (await fetch(`${url}/metrics`)).text()).toContain('thoth_investigator_halted_topics 1');
      expect((await fetch(`${url}/halt/thoth.no-such-topic`, { method: 'POST' })).status).toBe(404);

      const file = join(dir, 'stream.ndjson');
      writeFileSync(file, unresolved('flask', '2.0.1'));
      await runThoth(['--db', db, 'replay', file], { env: env() });
      await new Promise((r) => setTimeout(r, 600));
      // Every series is there from the start, at 0 while the topic is halted.
      expect(await (await fetch(`${url}/metrics`)).text()).toContain(
        'thoth_investigator_processed_total{message_type="unresolved-package"} 0',
      );

      await fetch(`${url}/resume/thoth.investigator.unresolved-package`, { method: 'POST' });
      const metrics = await eventually(
        async () => {
          const text = await (await fetch(`${url}/metrics`)).text();
          return text.includes('thoth_investigator_processed_total{message_type="unresolved-package"} 1') ? text : undefined;
        },
        'the message to be processed',
        { timeoutMs: 20_000 },
      );
      expect(metrics).toContain('thoth_investigator_scheduled_workflows_total{message_type="unresolved-package",workflow_type="solver"} 1');
      expect(metrics).toContain('thoth_investigator_halted_topics 0');
      expect(metrics).toMatch(/thoth_investigator_consumer_lag\{partition="0",topic="thoth.investigator.unresolved-package"\} 0/);
    } finally {
      controller.abort('SIGINT');
    }
    const result = await running;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`operator endpoints on ${url}`);
  });
});
