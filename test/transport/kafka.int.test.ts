import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import kafkajs from 'kafkajs';
import { UserError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import { readKafkaSettings } from '../../src/config/kafka.js';
import { openKafka } from '../../src/transport/kafka/client.js';
import { RetryLater, type Broker, type ConsumedRecord, type ConsumeOptions } from '../../src/transport/port.js';
import { runThoth } from '../support/cli.js';
import { kafkaBootstrap, kcatConsume, kcatHeaders, kcatProduce, uniqueTopic } from '../support/kafka.js';

const quiet: Logger = { notice: () => {}, warn: () => {}, debug: () => {} };
let broker: Broker;

beforeAll(async () => {
  broker = await openKafka(readKafkaSettings([kafkaBootstrap()], {}), quiet);
});
afterAll(async () => {
  await broker?.close();
});

/** Reads topics until the end offsets they had at the start, collecting every record. */
async function readAll(options: Partial<ConsumeOptions> & { topics: string[] }): Promise<ConsumedRecord[]> {
  const records: ConsumedRecord[] = [];
  const consumption = broker.consume(
    { start: { from: 'earliest' }, exitAtEnd: true, signal: new AbortController().signal, ...options },
    async (record) => {
      records.push(record);
    },
  );
  const summary = await consumption.done;
  expect(summary).toEqual({ records: records.length, reason: 'end' });
  return records;
}

async function createdTopic(prefix: string, partitions = 1): Promise<string> {
  const topic = uniqueTopic(prefix);
  expect(await broker.createTopics([topic], { partitions, replicationFactor: 1 })).toEqual([topic]);
  return topic;
}

describe('Kafka transport against a real broker', () => {
  it("sends one call's records past the broker's 1 MiB per record batch, every one at its position", async () => {
    const topic = await createdTopic('big-send');
    const filler = 'x'.repeat(1_000);
    const records = Array.from({ length: 2_000 }, (_, n) => ({
      topic,
      key: `k${n}`,
      headers: {},
      value: `{"n":${n},"filler":"${filler}"}`,
    }));
    const positions = await broker.send(records);
    expect(positions.map((p) => p.offset)).toEqual(records.map((_, n) => n));
    const read = await readAll({ topics: [topic] });
    expect(read.map((r) => r.value)).toEqual(records.map((r) => r.value));
  });

  it('sends body, key and headers exactly as kcat reads them back, with the positions kcat sees', async () => {
    const topic = await createdTopic('send', 3);
    const body = '{"component_name":"thoth","package_name":"requests","note":"żółw ✓"}';
    const positions = await broker.send([
      { topic, key: 'requests==2.25.1', headers: { 'ce-type': 'unresolved-package', trace: 'ä-1' }, value: body },
      { topic, key: null, headers: {}, value: '{"n":2}' },
      { topic, key: 'flask==2.0.0', headers: {}, value: '{"n":3}' },
    ]);
    const read = await kcatConsume(topic);
    expect(read).toHaveLength(3);
    const at = (p: { partition: number; offset: number }) => read.find((r) => r.partition === p.partition && r.offset === p.offset);
    const first = at(positions[0])!;
    expect(first.payload).toBe(body);
    expect(first.key).toBe('requests==2.25.1');
    expect(kcatHeaders(first)).toEqual({ 'ce-type': 'unresolved-package', trace: 'ä-1' });
    expect(at(positions[1])?.payload).toBe('{"n":2}');
    expect(at(positions[1])?.key).toBeNull();
    expect(at(positions[2])?.key).toBe('flask==2.0.0');
    expect(positions.every((p) => p.topic === topic)).toBe(true);
  });

  it('numbers many records of one call per partition, in order', async () => {
    const topic = await createdTopic('batch', 2);
    const records = Array.from({ length: 2500 }, (_, i) => ({ topic, key: `k${i % 7}`, headers: {}, value: `{"i":${i}}` }));
    const positions = await broker.send(records);
    const read = await kcatConsume(topic);
    expect(read).toHaveLength(2500);
    const byPosition = new Map(read.map((r) => [`${r.partition}:${r.offset}`, r.payload]));
    positions.forEach((p, i) => expect(byPosition.get(`${p.partition}:${p.offset}`)).toBe(`{"i":${i}}`));
  });

  it('consumes what kcat produced: key, headers, UTF-8 value and its byte size', async () => {
    const topic = await createdTopic('consume');
    const value = '{"package_name":"żółw"}';
    await kcatProduce(topic, { key: 'pkg==1', value, headers: { origin: 'kcat', 'x-ünï': 'cödé' } });
    const [record, ...rest] = await readAll({ topics: [topic] });
    expect(rest).toEqual([]);
    expect(record).toMatchObject({ topic, partition: 0, offset: 0, key: 'pkg==1', value, headers: { origin: 'kcat', 'x-ünï': 'cödé' } });
    expect(record.size).toBe(Buffer.byteLength(value));
    expect(record.timestamp).toBeGreaterThan(0);
  });

  it('ends at once on an empty topic and after the last record of a non-empty one', async () => {
    const empty = await createdTopic('empty');
    expect(await readAll({ topics: [empty] })).toEqual([]);
    const full = await createdTopic('full', 2);
    await broker.send([1, 2, 3].map((n) => ({ topic: full, key: `k${n}`, headers: {}, value: `{"n":${n}}` })));
    const values = (await readAll({ topics: [full, empty] })).map((r) => r.value).sort();
    expect(values).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
  });

  it('starts from an offset and from a timestamp', async () => {
    const topic = await createdTopic('start');
    const base = Date.now() - 60_000;
    await broker.send([0, 1, 2, 3, 4].map((n) => ({ topic, key: null, headers: {}, value: `{"n":${n}}`, timestamp: base + n * 1000 })));
    expect((await readAll({ topics: [topic], start: { from: 'offset', offset: 3 } })).map((r) => r.offset)).toEqual([3, 4]);
    const fromTime = await readAll({ topics: [topic], start: { from: 'timestamp', timestamp: base + 1500 } });
    expect(fromTime.map((r) => r.offset)).toEqual([2, 3, 4]);
    expect(fromTime[0].timestamp).toBe(base + 2000);
    expect(await readAll({ topics: [topic], start: { from: 'latest' } })).toEqual([]);
  });

  it('a consumer group continues after the last record whose handler finished', async () => {
    const topic = await createdTopic('group');
    const group = uniqueTopic('group');
    await broker.send([0, 1, 2, 3, 4].map((n) => ({ topic, key: null, headers: {}, value: `{"n":${n}}` })));
    const stop = new AbortController();
    const first: number[] = [];
    const consumption = broker.consume({ topics: [topic], group, start: { from: 'earliest' }, signal: stop.signal }, async (record) => {
      first.push(record.offset);
      if (first.length === 3) stop.abort();
    });
    expect(await consumption.done).toEqual({ records: 3, reason: 'aborted' });
    expect(first).toEqual([0, 1, 2]);
    const second = await readAll({ topics: [topic], group, start: { from: 'earliest' } });
    expect(second.map((r) => r.offset)).toEqual([3, 4]);
  });

  it('a handler that throws stops consumption, and its record goes to the next consumer of the group', async () => {
    const topic = await createdTopic('redeliver');
    const group = uniqueTopic('redeliver');
    await broker.send([0, 1, 2].map((n) => ({ topic, key: null, headers: {}, value: `{"n":${n}}` })));
    const failure = new Error('handler failed on purpose');
    const consumption = broker.consume(
      { topics: [topic], group, start: { from: 'earliest' }, signal: new AbortController().signal },
      async (record) => {
        if (record.offset === 1) throw failure;
      },
    );
    await expect(consumption.done).rejects.toBe(failure);
    const next = await readAll({ topics: [topic], group });
    expect(next.map((r) => r.offset)).toEqual([1, 2]);
  });

  it('without a group it commits nothing: the same start reads the same records again', async () => {
    const topic = await createdTopic('ephemeral');
    await broker.send([{ topic, key: null, headers: {}, value: '{}' }]);
    expect((await readAll({ topics: [topic] })).map((r) => r.offset)).toEqual([0]);
    expect((await readAll({ topics: [topic] })).map((r) => r.offset)).toEqual([0]);
  });

  it('without a group, a position the partition no longer holds is said and read on from the earliest offset', async () => {
    const topic = await createdTopic('out-of-range');
    await broker.send(Array.from({ length: 5 }, (_, i) => ({ topic, key: null, headers: {}, value: `{"i":${i}}` })));
    const warnings: string[] = [];
    const reader = await openKafka(readKafkaSettings([kafkaBootstrap()], {}), { ...quiet, warn: (text) => warnings.push(text) });
    const admin = new kafkajs.Kafka({ brokers: [kafkaBootstrap()], logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.fetchTopicMetadata({ topics: [topic] });
      const offsets: number[] = [];
      let deleted = false;
      const consumption = reader.consume(
        { topics: [topic], start: { from: 'earliest' }, exitAtEnd: true, signal: new AbortController().signal },
        async (record) => {
          if (!deleted) {
            // Retention removes offsets 0 to 3 while offset 0 waits for its retry: its next fetch is out of range.
            await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '4' }] });
            deleted = true;
            throw new RetryLater(10);
          }
          offsets.push(record.offset);
        },
      );
      expect(await consumption.done).toEqual({ records: 1, reason: 'end' });
      expect(offsets).toEqual([4]);
      expect(warnings).toEqual([
        `${topic}/0: offset 0 is out of range (the partition holds 4 to 5); reading on from the earliest offset, 4`,
      ]);
    } finally {
      await admin.disconnect();
      await reader.close();
    }
  });

  it('without a group, reads committed records only and ends past the transaction markers', { timeout: 60_000 }, async () => {
    const topic = await createdTopic('transactions');
    const producer = new kafkajs.Kafka({ brokers: [kafkaBootstrap()], logLevel: kafkajs.logLevel.NOTHING }).producer({
      transactionalId: `${topic}.writer`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    try {
      for (const [values, outcome] of [
        [['{"n":1}', '{"n":2}'], 'commit'],
        [['{"aborted":true}'], 'abort'],
        [['{"n":3}'], 'commit'],
      ] as const) {
        const transaction = await producer.transaction();
        await transaction.send({ topic, messages: values.map((value) => ({ value })) });
        await (outcome === 'commit' ? transaction.commit() : transaction.abort());
      }
    } finally {
      await producer.disconnect();
    }
    // Offsets 0 and 1, a commit marker at 2, the aborted record at 3 and its marker at 4, 5, a marker at 6.
    const read = await readAll({ topics: [topic] });
    expect(read.map((r) => [r.offset, r.value])).toEqual([
      [0, '{"n":1}'],
      [1, '{"n":2}'],
      [5, '{"n":3}'],
    ]);
    expect(await readAll({ topics: [topic], start: { from: 'offset', offset: 2 } })).toEqual([expect.objectContaining({ offset: 5 })]);
  });

  it('reports lag while consuming and handles partitions concurrently in order within each', async () => {
    const topic = await createdTopic('lag', 3);
    const sent = await broker.send(Array.from({ length: 30 }, (_, i) => ({ topic, key: `k${i % 5}`, headers: {}, value: `{"i":${i}}` })));
    let lags: Promise<Array<{ position: number; end: number }>> | undefined;
    const seen: ConsumedRecord[] = [];
    const consumption = broker.consume(
      { topics: [topic], start: { from: 'earliest' }, exitAtEnd: true, partitionsConcurrently: 3, signal: new AbortController().signal },
      async (record) => {
        lags ??= consumption.lag();
        await lags;
        seen.push(record);
      },
    );
    expect(await consumption.done).toEqual({ records: 30, reason: 'end' });
    const lag = (await lags)!;
    expect(lag.map((l) => l.end).reduce((a, b) => a + b)).toBe(30);
    expect(lag).toHaveLength(3);
    expect(lag.every((l) => l.position === 0)).toBe(true);
    for (const partition of new Set(sent.map((p) => p.partition))) {
      const offsets = seen.filter((r) => r.partition === partition).map((r) => r.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    }
  });

  it('waits for a topic that does not exist yet, and reads it once it is created', async () => {
    const topic = uniqueTopic('later');
    const stop = new AbortController();
    const notices: string[] = [];
    const waiting = await openKafka(readKafkaSettings([kafkaBootstrap()], {}), { ...quiet, notice: (text) => notices.push(text) });
    try {
      const received: Array<string | null> = [];
      const consumption = waiting.consume({ topics: [topic], start: { from: 'earliest' }, signal: stop.signal }, async (record) => {
        received.push(record.value);
        stop.abort();
      });
      while (notices.length === 0) await new Promise((r) => setTimeout(r, 50));
      expect(notices).toEqual([`waiting for topic ${topic} to be created`]);
      await broker.createTopics([topic]);
      await broker.send([{ topic, key: null, headers: {}, value: '{"late":true}' }]);
      expect(await consumption.done).toEqual({ records: 1, reason: 'aborted' });
      expect(received).toEqual(['{"late":true}']);
    } finally {
      await waiting.close();
    }
  });

  it('without a group, a record handed back mid-batch is handled again after its wait, in order, while the other partition goes on', async () => {
    const topic = await createdTopic('handed-back', 2);
    const sent = await broker.send(Array.from({ length: 400 }, (_, i) => ({ topic, key: `k${i}`, headers: {}, value: `{"i":${i}}` })));
    const counts = new Map<number, number>();
    for (const p of sent) counts.set(p.partition, (counts.get(p.partition) ?? 0) + 1);
    expect(counts.size).toBe(2);
    const [held, other] = [...counts.keys()];
    const handled: Array<[number, number]> = [];
    let handedBack = false;
    let otherWhileWaiting = 0;
    let waiting = false;
    const consumption = broker.consume(
      { topics: [topic], start: { from: 'earliest' }, exitAtEnd: true, partitionsConcurrently: 2, signal: new AbortController().signal },
      async (record) => {
        if (record.partition === held && record.offset === 3 && !handedBack) {
          handedBack = true;
          waiting = true;
          throw new RetryLater(300);
        }
        if (record.partition === held) waiting = false;
        else if (waiting) otherWhileWaiting++;
        handled.push([record.partition, record.offset]);
        // Slow enough that the other partition is still being read while the held one waits.
        await new Promise((resolve) => setTimeout(resolve, 2));
      },
    );
    expect(await consumption.done).toEqual({ records: 400, reason: 'end' });
    for (const partition of [held, other])
      expect(handled.filter(([p]) => p === partition).map(([, offset]) => offset)).toEqual([...Array(counts.get(partition)).keys()]);
    expect(otherWhileWaiting).toBeGreaterThan(0);
  });

  it('holds back a paused partition until it is resumed', async () => {
    const topic = await createdTopic('pause', 2);
    const sent = await broker.send(Array.from({ length: 20 }, (_, i) => ({ topic, key: `k${i}`, headers: {}, value: `{"i":${i}}` })));
    const held = sent[0].partition;
    const others = sent.filter((p) => p.partition !== held).length;
    expect(others).toBeGreaterThan(0);
    const order: number[] = [];
    const consumption = broker.consume(
      { topics: [topic], start: { from: 'earliest' }, exitAtEnd: true, signal: new AbortController().signal },
      async (record) => {
        order.push(record.partition);
        if (order.length === others) consumption.resume(topic, held);
      },
    );
    consumption.pause(topic, held);
    expect(await consumption.done).toEqual({ records: 20, reason: 'end' });
    expect(order.slice(0, others).every((p) => p !== held)).toBe(true);
    expect(order.slice(others).every((p) => p === held)).toBe(true);
  });

  it('lists topics with partitions and message counts, and creates only missing topics', async () => {
    const topic = await createdTopic('list', 2);
    await broker.send([
      { topic, key: 'a', headers: {}, value: '{}' },
      { topic, key: 'b', headers: {}, value: '{}' },
    ]);
    const listed = (await broker.topics([topic])).find((t) => t.name === topic);
    expect(listed).toMatchObject({ name: topic, partitions: 2, messages: 2 });
    // As kcat -L: each partition's leader, replicas, in-sync replicas, and its offsets.
    expect(listed?.partitionDetails?.map((p) => ({ ...p, high: undefined }))).toEqual(
      [0, 1].map((partition) => ({
        partition,
        leader: expect.any(Number),
        replicas: [expect.any(Number)],
        isr: [expect.any(Number)],
        low: 0,
        high: undefined,
      })),
    );
    expect(listed?.partitionDetails?.reduce((sum, p) => sum + p.high, 0)).toBe(2);
    expect(await broker.createTopics([topic])).toEqual([]);
  });
});

describe('Kafka transport with no broker', () => {
  it('names the address and the reason when nothing listens there', async () => {
    const port = await closedPort();
    const error = await openKafka(readKafkaSettings([`127.0.0.1:${port}`], {}), quiet).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(
      new RegExp(`^cannot reach Kafka at 127\\.0\\.0\\.1:${port} \\(connection refused\\) after \\d+\\.\\ds$`),
    );
    expect((error as UserError).hint).toMatch(/KAFKA_BOOTSTRAP_SERVERS/);
  });

  it('makes a command exit 1 with the address on stderr and nothing on stdout', async () => {
    const port = await closedPort();
    const result = await runThoth(['--broker', `kafka://127.0.0.1:${port}`, 'topics']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`cannot reach Kafka at 127.0.0.1:${port} (connection refused)`);
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
