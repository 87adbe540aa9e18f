/**
 * `thoth investigate --until-idle` on Kafka while a message keeps failing
 * transiently (its index cannot be reached): the message is handed back to
 * the consumer again and again, which is no progress. Once only such messages
 * wait for the idle time, the run ends, leaves them uncommitted, names them
 * and exits 1; the next run takes them again. With two members of a group,
 * each names only those of the partitions it still holds.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runThoth } from '../support/cli.js';
import {
  INDEX,
  RECORD_INVESTIGATE,
  kafkaEnv,
  message,
  replayLines,
  startInvestigator,
  unresolved,
  waitFor,
} from './investigator-process.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-until-idle-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Nothing listens there: the versions of a package named without one cannot be listed. */
const CLOSED = 'http://127.0.0.1:9/simple';

describe('--until-idle on Kafka with a message failing transiently', () => {
  it('ends, leaves the message uncommitted and names it; the next run takes it again', { timeout: 120_000 }, async () => {
    const env = kafkaEnv();
    const db = join(dir, 'thoth.db');
    const stream = join(dir, 'stream.ndjson');
    // One partition each: the handled message first, the failing one after it.
    writeFileSync(
      stream,
      `${[unresolved('django', '3.2.4'), message('thoth.investigator.unresolved-package', { package_name: 'flask', index_url: CLOSED })].join('\n')}\n`,
    );
    await replayLines(stream, env, join(dir, 'replay.db'));
    const investigate = () =>
      runThoth(['--db', db, ...RECORD_INVESTIGATE, '--until-idle', '2', '--index-url', CLOSED, '--index-url', INDEX], { env });
    const events = (stdout: string) =>
      stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { event: string; offset?: number; failing?: number; package_name?: string });

    const first = await investigate();
    expect(first.code, first.stderr).toBe(1);
    const seen = events(first.stdout);
    expect(seen.filter((e) => e.event === 'retry').length).toBeGreaterThan(0);
    expect(seen.filter((e) => e.event === 'processed')).toHaveLength(1);
    expect(seen.find((e) => e.event === 'idle-exit')).toMatchObject({ failing: 1 });
    expect(first.stderr).toContain('1 message was still failing transiently when the run went idle; left uncommitted');
    expect(first.stderr).toMatch(/\.thoth\.investigator\.unresolved-package\[\d+\]@\d+, \d+ attempts?: .*could not reach index/);

    const second = await investigate();
    expect(second.code, second.stderr).toBe(1);
    const again = events(second.stdout);
    // Only the failing message comes again: the handled one was committed.
    expect(again.filter((e) => e.event === 'received')).toHaveLength(1);
    expect(again.filter((e) => e.event === 'processed')).toEqual([]);
    expect(again.filter((e) => e.event === 'dead-letter')).toEqual([]);
  });

  it(
    'names only the failing messages of the partitions it still holds when another member took some over',
    { timeout: 180_000 },
    async () => {
      const env = kafkaEnv();
      const PARTITIONS = 4;
      const created = await runThoth(['--db', join(dir, 'topics.db'), 'topics', 'create', '--partitions', String(PARTITIONS)], { env });
      expect(created.code, created.stderr).toBe(0);
      // One failing message in each partition of the topic.
      const stream = join(dir, 'failing.ndjson');
      const lines = Array.from({ length: PARTITIONS }, (_, partition) => {
        const line = JSON.parse(
          message('thoth.investigator.unresolved-package', { package_name: `pkg${partition}`, index_url: CLOSED }),
        ) as object;
        return JSON.stringify({ ...line, partition });
      });
      writeFileSync(stream, `${lines.join('\n')}\n`);
      const replayed = await runThoth(['--db', join(dir, 'replay.db'), 'replay', '--keep-partitions', stream], { env });
      expect(replayed.code, replayed.stderr).toBe(0);

      // Messages failing transiently are no activity: each member's idle time runs from when it last got partitions. The
      // second waits far longer, so that it is still there when the first has left and the group has given it every
      // partition (a busy machine takes seconds to leave and rebalance: 6 s of margin once fell short).
      const member = (name: string, idleSeconds: number) =>
        startInvestigator(
          [
            '--db',
            join(dir, `${name}.db`),
            ...RECORD_INVESTIGATE,
            '--until-idle',
            String(idleSeconds),
            '--index-url',
            CLOSED,
            '--index-url',
            INDEX,
          ],
          env,
        );
      const retried = (events: Array<Record<string, unknown>>) =>
        new Set(events.filter((e) => e.event === 'retry').map((e) => e.partition));
      const first = member('first', 8);
      // The first member holds every partition and has tried each message at least once...
      await waitFor(() => retried(first.events).size === PARTITIONS, 'the first member retrying a message of every partition');
      // ...when a second member joins the group and takes some partitions over.
      const second = member('second', 30);
      const [a, b] = await Promise.all([first.exited, second.exited]);
      expect(a.code, first.stderr()).toBe(1);
      expect(b.code, second.stderr()).toBe(1);
      const named = (stderr: string) =>
        [...stderr.matchAll(/\.thoth\.investigator\.unresolved-package\[(\d+)\]@\d+, \d+ attempts?: /g)].map((m) => Number(m[1])).sort();
      const idleExit = (events: Array<Record<string, unknown>>) => {
        const idle = events.find((e) => e.event === 'idle-exit');
        expect(idle).toBeDefined();
        return idle as { ts: string; failing?: number };
      };
      const firstIdle = idleExit(first.events);
      // What the second member had taken over when the first went idle (their clocks are the same machine's).
      const takenOver = new Set(
        second.events.filter((e) => e.event === 'received' && (e.ts as string) < firstIdle.ts).map((e) => e.partition as number),
      );
      expect(takenOver.size, second.stderr()).toBeGreaterThan(0);
      // The first member still tried every message, but names (and counts) only those of the partitions it still held...
      const byFirst = named(first.stderr());
      expect(byFirst).toEqual(Array.from({ length: PARTITIONS }, (_, p) => p).filter((p) => !takenOver.has(p)));
      expect(firstIdle.failing ?? 0).toBe(byFirst.length);
      // ...and the second, which held them all once the first had left the group, names all of them.
      expect(named(second.stderr())).toEqual(Array.from({ length: PARTITIONS }, (_, p) => p));
      expect(idleExit(second.events).failing).toBe(PARTITIONS);
    },
  );
});
