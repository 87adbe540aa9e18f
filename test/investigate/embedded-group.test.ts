/**
 * Two `thoth investigate` processes on one SQLite file (the embedded broker)
 * in one consumer group share the work as on Kafka: each record is received
 * by one of them, and a killed member's partitions move to the survivor once
 * its leases expire (10 s), with no record lost.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanEnv, runThoth } from '../support/cli.js';
import { INDEX, replayLines, solved, startInvestigator, waitFor, type InvestigatorProcess } from './investigator-process.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-embedded-group-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const env = () => cleanEnv({ THOTH_INDEX_URLS: INDEX });
const offsetsOf = (run: InvestigatorProcess, event: string) => run.events.filter((e) => e.event === event).map((e) => e.offset as number);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

async function publishSolved(db: string, from: number, to: number): Promise<void> {
  const file = join(dir, `solved-${from}.ndjson`);
  writeFileSync(
    file,
    `${range(from, to)
      .map((i) => solved('pkg-a', `1.0.${i}`))
      .join('\n')}\n`,
  );
  // Published through the same file: the embedded broker's log lives in the cache.
  await replayLines(file, env(), db);
}

/** Messages of the solved-package topic closed in the inbox (decision triggers are closed there too). */
async function inboxSize(db: string): Promise<number> {
  const result = await runThoth(
    ['--db', db, 'query', 'sql', "SELECT count(*) AS n FROM inbox WHERE topic = 'thoth.solver.solved-package'", '-o', 'json'],
    { env: env() },
  );
  return (JSON.parse(result.stdout) as Array<{ n: number }>)[0].n;
}

/** Each security-indicators decision taken once, by whichever member held the decisions partition. */
const decisionsTaken = (...runs: InvestigatorProcess[]) =>
  runs.flatMap((run) => run.events.filter((e) => e.event === 'decision' && e.outcome === 'taken').map((e) => e.decision as string)).sort();

describe('two investigators on one embedded broker', () => {
  const args = (db: string) => ['--db', db, 'investigate', '--workflows', 'record', '--port', 'none'];

  it('hands each record to one member of the group', { timeout: 90_000 }, async () => {
    const db = join(dir, 'thoth.db');
    const first = startInvestigator(args(db), env());
    const second = startInvestigator(args(db), env());
    await waitFor(
      () => first.events.some((e) => e.event === 'started') && second.events.some((e) => e.event === 'started'),
      'both investigators to start',
    );
    await publishSolved(db, 0, 30);
    await waitFor(() => offsetsOf(first, 'processed').length + offsetsOf(second, 'processed').length >= 30, 'every record processed');
    // Each record's decision is a trigger record of its own, taken after it: on a loaded machine later than a second.
    await waitFor(() => decisionsTaken(first, second).length >= 30, 'every decision taken');
    // Time for a second delivery to show, were there one.
    await new Promise((r) => setTimeout(r, 1_000));
    first.child.kill('SIGTERM');
    second.child.kill('SIGTERM');
    expect((await first.exited).code, first.stderr()).toBe(0);
    expect((await second.exited).code, second.stderr()).toBe(0);

    const received = [...offsetsOf(first, 'received'), ...offsetsOf(second, 'received')];
    expect(received.sort((a, b) => a - b)).toEqual(range(0, 30));
    expect(await inboxSize(db)).toBe(30);
    expect(decisionsTaken(first, second)).toEqual(
      range(0, 30)
        .map((i) => `si:${INDEX}/pkg-a/1.0.${i}`)
        .sort(),
    );
  });

  it("moves a killed investigator's partitions to the survivor after the lease time, losing no record", { timeout: 90_000 }, async () => {
    const db = join(dir, 'thoth.db');
    const first = startInvestigator(args(db), env());
    await waitFor(() => first.events.some((e) => e.event === 'started'), 'the first investigator to start');
    await publishSolved(db, 0, 10);
    await waitFor(() => offsetsOf(first, 'processed').length === 10, 'the first records processed');
    const second = startInvestigator(args(db), env());
    await waitFor(() => second.events.some((e) => e.event === 'started'), 'the second investigator to start');

    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    await publishSolved(db, 10, 20);
    await waitFor(() => offsetsOf(second, 'processed').length >= 10, 'the survivor to process the records sent after the kill', 60_000);
    second.child.kill('SIGTERM');
    expect((await second.exited).code, second.stderr()).toBe(0);

    expect(offsetsOf(first, 'processed')).toEqual(range(0, 10));
    expect(offsetsOf(second, 'processed')).toEqual(range(10, 20));
    expect(new Set([...offsetsOf(first, 'received'), ...offsetsOf(second, 'received')])).toEqual(new Set(range(0, 20)));
    expect(await inboxSize(db)).toBe(20);
    // A decision taken by the killed member is not taken again by the survivor.
    expect(new Set(decisionsTaken(first, second)).size).toBe(decisionsTaken(first, second).length);
  });
});
