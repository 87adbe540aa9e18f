/**
 * `thoth tail` without --group reads as `kcat -C` does: no consumer group is
 * joined or created, so nothing is left behind and no group ACL is needed. This
 * file starts its own broker (scripts/kafka.mjs) with a stock broker's
 * group.initial.rebalance.delay.ms of 3000 (the shared test broker's is 0): a
 * group would exist while tail waits for its first assignment, so the broker's
 * group list (ListGroups, what kafka-consumer-groups --list shows) is checked
 * while tail follows the topic, once its records have arrived, and after.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashAndRestartKafka, startKafka, stopKafka } from '../../scripts/kafka.mjs';
import { readKafkaSettings } from '../../src/config/kafka.js';
import type { Logger } from '../../src/core/logger.js';
import { createTopicsWithLeaders, openKafka } from '../../src/transport/kafka/client.js';
import { BIN, cleanEnv, runThoth } from '../support/cli.js';
import { uniqueTopic } from '../support/kafka.js';

let broker: { bootstrap: string; pid: number } | undefined;
let work: string | undefined;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'thoth-tail-no-group-'));
  broker = (await startKafka(process.env, { initialRebalanceDelayMs: 3000, stopWithProcess: true })) as { bootstrap: string; pid: number };
}, 180_000);
afterAll(async () => {
  if (broker) await stopKafka(broker);
  if (work) rmSync(work, { recursive: true, force: true });
}, 60_000);

const kafka = () => new kafkajs.Kafka({ brokers: [broker!.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
/**
 * The records the tests read back, written once each: a plain producer that retries a send the broker had written
 * (a request timed out on a loaded machine) writes it twice, and the reads then rightly show it twice.
 */
const writer = () =>
  kafka().producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });

async function groups(): Promise<string[]> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    return (await admin.listGroups()).groups.map((g) => g.groupId).sort();
  } finally {
    await admin.disconnect();
  }
}

/** A topic of three partitions with two records in each. */
async function topicWithRecords(): Promise<string> {
  const topic = uniqueTopic('no-group');
  const admin = kafka().admin();
  await admin.connect();
  try {
    await createTopicsWithLeaders(admin, [{ topic, numPartitions: 3 }]);
  } finally {
    await admin.disconnect();
  }
  const producer = writer();
  await producer.connect();
  try {
    await producer.send({
      topic,
      messages: Array.from({ length: 6 }, (_, i) => ({ partition: i % 3, value: JSON.stringify({ i }) })),
    });
  } finally {
    await producer.disconnect();
  }
  return topic;
}

const lines = (stdout: string) =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { partition: number; offset: number; value: { i: number } });

describe('tail without --group', () => {
  it('reads every partition to its end and creates no consumer group', { timeout: 60_000 }, async () => {
    const topic = await topicWithRecords();
    const before = await groups();
    const env = cleanEnv({ KAFKA_BOOTSTRAP_SERVERS: broker!.bootstrap });
    const atEnd = await runThoth(['--db', join(work!, 'end.db'), 'tail', topic, '--exit-at-end', '-o', 'ndjson'], { env });
    expect(atEnd.code).toBe(0);
    const read = lines(atEnd.stdout);
    expect(read.map((r) => r.value.i).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const partition of [0, 1, 2]) expect(read.filter((r) => r.partition === partition).map((r) => r.offset)).toEqual([0, 1]);
    expect(await groups()).toEqual(before);

    // --offset and --count: the same records, from the second of each partition, and stopping after two.
    const counted = await runThoth(['--db', join(work!, 'end.db'), 'tail', topic, '--offset', '1', '--count', '2', '-o', 'ndjson'], {
      env,
    });
    expect(counted.code).toBe(0);
    expect(lines(counted.stdout).map((r) => r.offset)).toEqual([1, 1]);
    expect(await groups()).toEqual(before);
  });

  it(
    'reads only the partitions --partition names, the last records with --offset -N, and refuses a partition the topic does not have',
    { timeout: 60_000 },
    async () => {
      const topic = await topicWithRecords();
      const env = cleanEnv({ KAFKA_BOOTSTRAP_SERVERS: broker!.bootstrap });
      const db = join(work!, 'partition.db');
      const two = await runThoth(['--db', db, 'tail', topic, '--partition', '2', '--partition', '0', '--exit-at-end', '-o', 'ndjson'], {
        env,
      });
      expect(two.code).toBe(0);
      const read = lines(two.stdout);
      expect(read.map((r) => `${r.partition}@${r.offset}`).sort()).toEqual(['0@0', '0@1', '2@0', '2@1']);
      // With --offset, kcat's `-p 1 -o 1 -c 1`: the record at that place.
      const one = await runThoth(['--db', db, 'tail', topic, '--partition', '1', '--offset', '1', '--count', '1', '-o', 'ndjson'], { env });
      expect(one.code).toBe(0);
      expect(lines(one.stdout)).toMatchObject([{ partition: 1, offset: 1, value: { i: 4 } }]);
      // --offset -N: the last N of each partition (kcat -o -N).
      const last = await runThoth(['--db', db, 'tail', topic, '--offset', '-1', '--exit-at-end', '-o', 'ndjson'], { env });
      expect(last.code).toBe(0);
      expect(
        lines(last.stdout)
          .map((r) => `${r.partition}@${r.offset}`)
          .sort(),
      ).toEqual(['0@1', '1@1', '2@1']);
      const missing = await runThoth(['--db', db, 'tail', topic, '--partition', '5', '--exit-at-end', '-o', 'ndjson'], { env });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(`error: topic ${topic} has no partition 5: it has 3 partitions (0-2)`);
      expect(missing.stderr).not.toContain('tailing');
      expect(missing.stdout).toBe('');
    },
  );

  it('follows a topic with no group while it reads, and leaves none after Ctrl-C', { timeout: 60_000 }, async () => {
    const topic = await topicWithRecords();
    const before = await groups();
    const child = spawn(process.execPath, [BIN, '--db', join(work!, 'follow.db'), 'tail', topic, '--from-beginning', '-o', 'ndjson'], {
      env: cleanEnv({ KAFKA_BOOTSTRAP_SERVERS: broker!.bootstrap }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString('utf8');
        if (lines(stdout).length >= 6) resolve();
      });
      void exited.then((code) => reject(new Error(`tail exited (${code}) before it read the records:\n${stderr}`)));
    });
    // The records arrived, and tail is still following: a consumer group would be listed now.
    expect(await groups()).toEqual(before);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(
      lines(stdout)
        .map((r) => r.value.i)
        .sort(),
    ).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await groups()).toEqual(before);
  });

  it('reads past records compacted away at the end of a record batch, one batch a fetch', { timeout: 120_000 }, async () => {
    // Two records sent as one record batch (offsets 0 and 1), the second key's newer value as another (2), then a
    // record that rolls the segment (3): the cleaner removes offset 1, and the first batch keeps offset 0 alone.
    const topic = uniqueTopic('compacted');
    const admin = kafka().admin();
    await admin.connect();
    const producer = writer();
    await producer.connect();
    try {
      await createTopicsWithLeaders(admin, [
        {
          topic,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.ms', value: '200' },
            { name: 'min.cleanable.dirty.ratio', value: '0.01' },
            { name: 'min.compaction.lag.ms', value: '0' },
          ],
        },
      ]);
      await producer.send({
        topic,
        messages: [
          { key: 'a', value: '{"i":0}' },
          { key: 'b', value: '{"i":1}' },
        ],
      });
      await producer.send({ topic, messages: [{ key: 'b', value: '{"i":2}' }] });
      await new Promise((resolve) => setTimeout(resolve, 500));
      await producer.send({ topic, messages: [{ key: 'c', value: '{"i":3}' }] });
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
    const env = cleanEnv({ KAFKA_BOOTSTRAP_SERVERS: broker!.bootstrap });
    const db = join(work!, 'compacted.db');
    // Cleaned once offset 1 is gone from a read of the whole topic.
    const deadline = Date.now() + 90_000;
    for (;;) {
      const whole = await runThoth(['--db', db, 'tail', topic, '--exit-at-end', '-o', 'ndjson'], { env });
      if (!lines(whole.stdout).some((r) => r.offset === 1)) break;
      if (Date.now() > deadline) throw new Error('the log cleaner did not compact the topic within 90 s');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    // One record batch a fetch: the fetch from offset 1 returns the first batch, holding offset 0 alone.
    const tailed = await runThoth(
      ['--db', db, '--kafka-option', 'max.partition.fetch.bytes=1', 'tail', topic, '--exit-at-end', '-o', 'ndjson'],
      // A read that keeps asking for offset 1 is stopped (and fails below) rather than left to the test's timeout.
      { env, signal: AbortSignal.timeout(30_000) },
    );
    expect(tailed.code).toBe(0);
    expect(lines(tailed.stdout).map((r) => [r.offset, r.value.i])).toEqual([
      [0, 0],
      [2, 2],
      [3, 3],
    ]);
  });

  // Last: it restarts this file's broker.
  it('reads on from the same positions after the broker crashes and comes back', { timeout: 180_000 }, async () => {
    const topic = await topicWithRecords();
    const before = await groups();
    const quiet: Logger = { notice: () => {}, warn: () => {}, debug: () => {} };
    const reader = await openKafka(readKafkaSettings([broker!.bootstrap], {}), quiet);
    const stop = new AbortController();
    const seen: number[] = [];
    const waiters: Array<{ count: number; resolve: () => void }> = [];
    try {
      const consumption = reader.consume({ topics: [topic], start: { from: 'earliest' }, signal: stop.signal }, async (record) => {
        seen.push((JSON.parse(record.value!) as { i: number }).i);
        for (const w of waiters) if (seen.length >= w.count) w.resolve();
      });
      // A read that ends (or fails) before it has seen them fails the test with what ended it, not a hang till the timeout.
      const ended = consumption.done.then(
        (summary) => Promise.reject(new Error(`the read ended (${JSON.stringify(summary)}) after ${JSON.stringify(seen)}`)),
        (error: unknown) => Promise.reject(new Error(`the read failed after ${JSON.stringify(seen)}: ${String(error)}`)),
      );
      ended.catch(() => undefined);
      const seenAtLeast = (count: number) =>
        Promise.race([new Promise<void>((resolve) => (seen.length >= count ? resolve() : waiters.push({ count, resolve }))), ended]);
      // Each step within a time of its own, so that a stall names the step it stalled in.
      const within = async <T>(what: string, seconds: number, work: Promise<T>): Promise<T> => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${what}: not done within ${seconds} s (seen ${JSON.stringify(seen)})`)),
            seconds * 1000,
          );
        });
        try {
          return await Promise.race([work, late]);
        } finally {
          clearTimeout(timer);
        }
      };
      await within('reading the first six records', 30, seenAtLeast(6));
      await within('restarting the broker', 60, crashAndRestartKafka(broker!, process.env, { stopWithProcess: true }));
      const producer = writer();
      await within(
        'writing three records after the restart',
        30,
        (async () => {
          await producer.connect();
          try {
            await producer.send({
              topic,
              messages: [0, 1, 2].map((partition) => ({ partition, value: JSON.stringify({ i: 6 + partition }) })),
            });
          } finally {
            await producer.disconnect();
          }
        })(),
      );
      await within('reading on after the restart', 50, seenAtLeast(9));
      stop.abort();
      expect(await consumption.done).toEqual({ records: 9, reason: 'aborted' });
      expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      expect(await groups()).toEqual(before);
    } finally {
      stop.abort();
      await reader.close();
    }
  });
});
