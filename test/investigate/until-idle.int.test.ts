/**
 * `thoth investigate --until-idle` on Kafka while a message keeps failing
 * transiently (its index cannot be reached): the message is handed back to
 * the consumer again and again, which is no progress. Once only such messages
 * wait for the idle time, the run ends, leaves them uncommitted, names them
 * and exits 1; the next run takes them again.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runThoth } from '../support/cli.js';
import { INDEX, RECORD_INVESTIGATE, kafkaEnv, message, replayLines, unresolved } from './investigator-process.js';

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
});
