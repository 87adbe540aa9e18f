import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import { nullLogger } from '../../src/core/logger.js';
import { noProgress } from '../../src/core/progress.js';
import { dueTime, replayStreams } from '../../src/services/replay.js';
import type { Broker, OutgoingRecord } from '../../src/transport/port.js';

describe('pacing', () => {
  it('--speed keeps the recorded gaps divided by the factor; --rate spaces sends evenly', () => {
    const start = 1_000;
    expect(dueTime({ kind: 'speed', factor: 10 }, start, 5, 60_000 + 5_000, 60_000)).toBe(start + 500);
    expect(dueTime({ kind: 'speed', factor: 1 }, start, 1, 59_000, 60_000)).toBe(start);
    expect(dueTime({ kind: 'rate', perSecond: 100 }, start, 50, 0, 0)).toBe(start + 500);
    expect(dueTime({ kind: 'asap' }, start, 50, 9, 0)).toBe(start);
  });
});

/** A stream file of these lines, in a folder of its own. */
function streamFile(lines: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'thoth-replay-')), 'stream.ndjson');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** A broker that answers later than the next lines are read, refusing `refused`'s topic; it counts the sends in flight. */
function lateBroker(refused?: string) {
  const sent: string[] = [];
  let sending = 0;
  let most = 0;
  const broker = {
    send: async (records: OutgoingRecord[]) => {
      most = Math.max(most, ++sending);
      await new Promise((resolve) => setTimeout(resolve, 20));
      sending--;
      if (records.some((r) => r.topic === refused)) {
        throw Object.assign(new PermanentError('TOPIC_AUTHORIZATION_FAILED', `not allowed to write to ${refused}`), { topicScoped: true });
      }
      sent.push(...records.map((r) => r.key ?? ''));
      return records.map((r, offset) => ({ topic: r.topic, partition: 0, offset }));
    },
  } as unknown as Broker;
  return { broker, sent, most: () => most };
}

/** `thoth replay FILE` as fast as it goes, keeping the recorded timestamps. */
const replayAsap = (file: string, broker: Broker, includeInvalid: boolean, log = nullLogger) =>
  replayStreams(
    { files: [file], pace: { kind: 'asap' }, validateOnly: false, strict: false, includeInvalid, keepTimestamps: true, batchSize: 2000 },
    { broker: async () => broker, stdin: process.stdin, log, progress: noProgress, signal: new AbortController().signal, now: Date.now },
  );

describe('sending', () => {
  it('keeps one send in flight at a time, also when a new topic comes after lines waiting in the batch', async () => {
    const line = (topic: string, n: number) =>
      JSON.stringify({ topic, key: `k${n}`, headers: {}, value: { re_run_adviser_id: `a${n}`, version: 'v1' }, timestamp: 1 });
    const [a, b] = ['a.thoth.adviser-re-run', 'b.thoth.adviser-re-run'];
    const file = streamFile([line(a, 1), line(a, 2), line(a, 3), line(b, 4), line(a, 5), line(b, 6)]);
    const late = lateBroker();
    const summary = await replayAsap(file, late.broker, true);
    expect(summary).toMatchObject({ sent: 6 });
    expect(late.sent).toEqual(['k1', 'k2', 'k3', 'k4', 'k5', 'k6']);
    // Two sends in flight at once would break an idempotent producer's sequence numbers.
    expect(late.most()).toBe(1);
  });
});

describe('a topic the broker refuses', () => {
  const solved = (topic: string, n: number) =>
    JSON.stringify({
      topic,
      key: `k${n}`,
      headers: {},
      value: {
        component_name: 'solver',
        service_version: '0.1.0',
        version: 'v1',
        package_name: 'flask',
        package_version: `1.${n}.0`,
        index_url: 'https://index.example/simple',
        solver: 'solver-rhel-8-py38',
      },
      timestamp: 1,
    });

  it('fails its own lines, each reported, read while its first line was in flight or after; the others are sent in order', async () => {
    const ok = 'ok.thoth.solver.solved-package';
    const bad = 'forbidden.thoth.solver.solved-package';
    const file = streamFile([solved(ok, 1), solved(bad, 2), solved(ok, 3), solved(bad, 4), solved(ok, 5)]);
    const late = lateBroker(bad);
    const warnings: string[] = [];
    const log = { ...nullLogger, warn: (text: string) => void warnings.push(text) };
    const summary = await replayAsap(file, late.broker, false, log);
    const sent = late.sent;
    expect(sent).toEqual(['k1', 'k3', 'k5']);
    expect(summary).toMatchObject({ sent: 3, refused: 2 });
    expect(summary.failed).toBeUndefined();
    expect(warnings).toEqual([
      `${file}:2: not sent: not allowed to write to ${bad}`,
      `${file}:4: not sent: not allowed to write to ${bad}`,
    ]);
  });
});
