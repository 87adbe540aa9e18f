import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { openEmbeddedBroker } from '../../src/transport/embedded.js';
import type { Broker, ConsumeOptions, ConsumedRecord } from '../../src/transport/port.js';
import { tempDbPath } from '../store/temp.js';

const TOPIC = 'dev.thoth.solver.solved-package';
const OTHER = 'dev.thoth.investigator.unresolved-package';

function open(path = tempDbPath()): { store: Store; broker: Broker; path: string } {
  const store = openStore(path, { create: true, indexUrls: '' });
  return { store, broker: openEmbeddedBroker(store, path), path };
}

const record = (topic: string, n: number, timestamp?: number) => ({
  topic,
  key: `k${n}`,
  headers: { n: String(n) },
  value: JSON.stringify({ n }),
  ...(timestamp ? { timestamp } : {}),
});

/** Consumes with exitAtEnd and returns what the handler saw. */
async function drain(broker: Broker, options: Partial<ConsumeOptions> & Pick<ConsumeOptions, 'topics'>): Promise<ConsumedRecord[]> {
  const seen: ConsumedRecord[] = [];
  const consumption = broker.consume(
    { start: { from: 'earliest' }, exitAtEnd: true, signal: new AbortController().signal, ...options },
    async (r) => {
      seen.push(r);
    },
  );
  const summary = await consumption.done;
  expect(summary).toEqual({ records: seen.length, reason: 'end' });
  return seen;
}

describe('embedded broker', () => {
  it('appends records in one send and returns their positions', async () => {
    const { broker, store } = open();
    const positions = await broker.send([record(TOPIC, 0), record(OTHER, 0), record(TOPIC, 1)]);
    expect(positions).toEqual([
      { topic: TOPIC, partition: 0, offset: 0 },
      { topic: OTHER, partition: 0, offset: 0 },
      { topic: TOPIC, partition: 0, offset: 1 },
    ]);
    const seen = await drain(broker, { topics: [TOPIC] });
    expect(seen.map((r) => [r.offset, r.key, r.headers, r.value, r.size])).toEqual([
      [0, 'k0', { n: '0' }, '{"n":0}', 7],
      [1, 'k1', { n: '1' }, '{"n":1}', 7],
    ]);
    expect(await broker.topics()).toEqual([
      { name: OTHER, partitions: 1, messages: 1 },
      { name: TOPIC, partitions: 1, messages: 2 },
    ]);
    store.close();
  });

  it('reads at most the records asked for, and with a byte bound none after the one that reaches it', async () => {
    const { broker, store } = open();
    const values = ['a'.repeat(400), 'b'.repeat(400), 'c'.repeat(400), 'd'];
    await broker.send(values.map((value, n) => ({ ...record(TOPIC, n), value })));
    const read = (limit: number, maxBytes?: number) => store.readLog(TOPIC, 0, 0, limit, maxBytes).map((r) => r.offset);
    expect(read(3)).toEqual([0, 1, 2]);
    expect(read(10, 800)).toEqual([0, 1]);
    expect(read(10, 801)).toEqual([0, 1, 2]);
    // A record larger than the bound is still read, alone: the consumer must get past it.
    expect(read(10, 10)).toEqual([0]);
    expect(store.readLog(TOPIC, 0, 3, 10, 10).map((r) => r.value)).toEqual(['d']);
    store.close();
  });

  it('keeps tombstones and reads a topic that does not exist as empty', async () => {
    const { broker, store } = open();
    await broker.send([{ topic: TOPIC, key: 'gone', headers: {}, value: null }]);
    const [tombstone] = await drain(broker, { topics: [TOPIC, 'no.such.topic'] });
    expect(tombstone).toMatchObject({ key: 'gone', value: null, size: 0 });
    store.close();
  });

  it('resumes a consumer group after its last committed record, across reopening', async () => {
    const { broker, store, path } = open();
    await broker.send([0, 1, 2].map((n) => record(TOPIC, n)));
    expect((await drain(broker, { topics: [TOPIC], group: 'g' })).map((r) => r.offset)).toEqual([0, 1, 2]);
    await broker.send([record(TOPIC, 3)]);
    store.close();

    const again = open(path);
    expect((await drain(again.broker, { topics: [TOPIC], group: 'g' })).map((r) => r.offset)).toEqual([3]);
    // Without a group nothing is committed and start applies.
    expect((await drain(again.broker, { topics: [TOPIC] })).map((r) => r.offset)).toEqual([0, 1, 2, 3]);
    // Another group starts on its own.
    expect((await drain(again.broker, { topics: [TOPIC], group: 'other', start: { from: 'latest' } })).map((r) => r.offset)).toEqual([]);
    again.store.close();
  });

  it('does not commit the record whose handler threw, and stops with that error', async () => {
    const { broker, store } = open();
    await broker.send([0, 1, 2].map((n) => record(TOPIC, n)));
    const consumption = broker.consume(
      { topics: [TOPIC], group: 'g', start: { from: 'earliest' }, exitAtEnd: true, signal: new AbortController().signal },
      async (r) => {
        if (r.offset === 1) throw new Error('handler failed on 1');
      },
    );
    await expect(consumption.done).rejects.toThrow('handler failed on 1');
    expect(store.committedOffset('g', TOPIC, 0)).toBe(1);
    expect((await drain(broker, { topics: [TOPIC], group: 'g' })).map((r) => r.offset)).toEqual([1, 2]);
    store.close();
  });

  it('starts from an offset or a timestamp', async () => {
    const { broker, store } = open();
    await broker.send([record(TOPIC, 0, 1_000), record(TOPIC, 1, 2_000), record(TOPIC, 2, 3_000)]);
    expect((await drain(broker, { topics: [TOPIC], start: { from: 'offset', offset: 1 } })).map((r) => r.offset)).toEqual([1, 2]);
    expect((await drain(broker, { topics: [TOPIC], start: { from: 'timestamp', timestamp: 1_500 } })).map((r) => r.timestamp)).toEqual([
      2_000, 3_000,
    ]);
    expect(await drain(broker, { topics: [TOPIC], start: { from: 'timestamp', timestamp: 9_000 } })).toEqual([]);
    expect(await drain(broker, { topics: [TOPIC], start: { from: 'latest' } })).toEqual([]);
    store.close();
  });

  it('follows new records until the signal aborts, honouring pause, resume and lag', async () => {
    const { broker, store } = open();
    const controller = new AbortController();
    const seen: number[] = [];
    const consumption = broker.consume(
      { topics: [TOPIC], group: 'g', start: { from: 'earliest' }, signal: controller.signal },
      async (r) => {
        seen.push(r.offset);
      },
    );
    consumption.pause(TOPIC);
    await broker.send([record(TOPIC, 0), record(TOPIC, 1)]);
    await new Promise((r) => setTimeout(r, 400));
    expect(seen).toEqual([]);
    expect(await consumption.lag()).toEqual([{ topic: TOPIC, partition: 0, position: 0, end: 2 }]);
    consumption.resume(TOPIC);
    await expect.poll(() => seen, { timeout: 5_000 }).toEqual([0, 1]);
    expect(await consumption.lag()).toEqual([{ topic: TOPIC, partition: 0, position: 2, end: 2 }]);
    controller.abort();
    expect(await consumption.done).toEqual({ records: 2, reason: 'aborted' });
    store.close();
  });

  it('creates topics once', async () => {
    const { broker, store } = open();
    expect(await broker.createTopics([TOPIC, OTHER])).toEqual([TOPIC, OTHER]);
    expect(await broker.createTopics([TOPIC, 'third'])).toEqual(['third']);
    expect((await broker.topics()).map((t) => [t.name, t.messages])).toEqual([
      [OTHER, 0],
      [TOPIC, 0],
      ['third', 0],
    ]);
    store.close();
  });

  it('shows records another process appends to a consumer that follows the log', async () => {
    const { broker, store, path } = open();
    await broker.createTopics([TOPIC]);
    const controller = new AbortController();
    const seen: ConsumedRecord[] = [];
    const consumption = broker.consume({ topics: [TOPIC], start: { from: 'latest' }, signal: controller.signal }, async (r) => {
      seen.push(r);
    });
    const writer = spawn(process.execPath, [fileURLToPath(new URL('./embedded-writer.mjs', import.meta.url)), path, TOPIC, '20', '20'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    writer.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exitCode = await new Promise<number | null>((resolve) => writer.on('close', resolve));
    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
    await expect.poll(() => seen.length, { timeout: 5_000 }).toBe(20);
    controller.abort();
    await consumption.done;
    expect(seen.map((r) => JSON.parse(r.value!).n)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(seen.every((r) => r.headers.writer === String(writer.pid))).toBe(true);
    store.close();
  });

  it('with exitAtEnd stops at the end the log had when consumption began', async () => {
    const { broker, store } = open();
    await broker.send([record(TOPIC, 0), record(TOPIC, 1)]);
    const seen = await drain(broker, { topics: [TOPIC] });
    expect(seen.map((r) => r.offset)).toEqual([0, 1]);
    const growing: number[] = [];
    const consumption = broker.consume(
      { topics: [TOPIC], start: { from: 'earliest' }, exitAtEnd: true, signal: new AbortController().signal },
      async (r) => {
        growing.push(r.offset);
        if (r.offset === 0) await broker.send([record(TOPIC, 2)]);
      },
    );
    expect(await consumption.done).toEqual({ records: 2, reason: 'end' });
    expect(growing).toEqual([0, 1]);
    store.close();
  });

  it('handles several topics at once, keeping order within each', async () => {
    const { broker, store } = open();
    await broker.send([0, 1, 2, 3].flatMap((n) => [record(TOPIC, n), record(OTHER, n)]));
    const seen = await drain(broker, { topics: [TOPIC, OTHER], partitionsConcurrently: 2 });
    expect(seen.filter((r) => r.topic === TOPIC).map((r) => r.offset)).toEqual([0, 1, 2, 3]);
    expect(seen.filter((r) => r.topic === OTHER).map((r) => r.offset)).toEqual([0, 1, 2, 3]);
    store.close();
  });
});
