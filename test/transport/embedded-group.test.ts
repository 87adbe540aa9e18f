/**
 * Consumer groups on the embedded broker: the members of one group share a
 * partition through a lease, so each record is handled by one of them; a
 * killed member's partition moves to a survivor once its lease expires.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { openEmbeddedBroker } from '../../src/transport/embedded.js';
import type { Broker, ConsumeOptions, Consumption } from '../../src/transport/port.js';
import { tempDbPath } from '../store/temp.js';

const TOPIC = 'dev.thoth.solver.solved-package';
const MEMBER = fileURLToPath(new URL('./embedded-member.mjs', import.meta.url));

function open(path = tempDbPath(), leaseMs?: number): { store: Store; broker: Broker; path: string } {
  const store = openStore(path, { create: true, indexUrls: '' });
  return { store, broker: openEmbeddedBroker(store, path, { leaseMs }), path };
}

const record = (n: number) => ({ topic: TOPIC, key: `k${n}`, headers: {}, value: JSON.stringify({ n }) });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Follows the topic as a member of `group`, collecting the `n` of every record it handles. */
function follow(
  broker: Broker,
  group: string,
  extra: Partial<ConsumeOptions> = {},
): { seen: number[]; stop: AbortController; consumption: Consumption } {
  const stop = new AbortController();
  const seen: number[] = [];
  const consumption = broker.consume({ topics: [TOPIC], group, start: { from: 'earliest' }, signal: stop.signal, ...extra }, async (r) => {
    seen.push((JSON.parse(r.value!) as { n: number }).n);
  });
  return { seen, stop, consumption };
}

interface MemberProcess {
  child: ChildProcess;
  seen: () => number[];
  closed: Promise<unknown[]>;
}

function startMember(path: string, group: string, leaseMs: number): MemberProcess {
  const child = spawn(process.execPath, [MEMBER, path, group, TOPIC, String(leaseMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const closed = once(child, 'close');
  return {
    child,
    closed,
    seen: () =>
      out
        .split('\n')
        .filter((line) => /^\d+$/.test(line))
        .map(Number),
  };
}

describe('consumer groups on the embedded broker', () => {
  it('gives each record to one member of a group, in two processes', { timeout: 60_000 }, async () => {
    const { broker, store, path } = open();
    await broker.send(range(0, 20).map(record));
    const a = startMember(path, 'g', 2_000);
    const b = startMember(path, 'g', 2_000);
    for (const n of range(20, 40)) {
      await broker.send([record(n)]);
      await new Promise((r) => setTimeout(r, 10));
    }
    const handled = () => [...a.seen(), ...b.seen()];
    await expect.poll(() => handled().length, { timeout: 20_000 }).toBeGreaterThanOrEqual(40);
    // Time for a second delivery to show, were there one.
    await new Promise((r) => setTimeout(r, 500));
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    const [[codeA], [codeB]] = await Promise.all([a.closed, b.closed]);
    expect([codeA, codeB]).toEqual([0, 0]);
    expect(handled().sort((x, y) => x - y)).toEqual(range(0, 40));
    expect(store.committedOffset('g', TOPIC, 0)).toBe(40);
    store.close();
  });

  it("moves a killed member's partition to the survivor once the lease expires, losing no record", { timeout: 60_000 }, async () => {
    const { broker, store, path } = open();
    await broker.send(range(0, 10).map(record));
    const first = startMember(path, 'g', 1_000);
    await expect.poll(() => first.seen().length, { timeout: 20_000 }).toBe(10);
    const second = startMember(path, 'g', 1_000);
    await broker.send(range(10, 20).map(record));
    await expect.poll(() => first.seen().length, { timeout: 20_000 }).toBe(20);
    expect(second.seen()).toEqual([]);

    first.child.kill('SIGKILL');
    await first.closed;
    await broker.send(range(20, 30).map(record));
    await expect.poll(() => second.seen().includes(29), { timeout: 20_000 }).toBe(true);
    second.child.kill('SIGTERM');
    expect((await second.closed)[0]).toBe(0);
    expect(new Set([...first.seen(), ...second.seen()])).toEqual(new Set(range(0, 30)));
    // The survivor took over from the group's offset: at most the record the killed member was
    // committing again, then everything after it in order.
    expect(second.seen().filter((n) => n < 20)).toEqual(second.seen().includes(19) ? [19] : []);
    expect(second.seen().filter((n) => n >= 20)).toEqual(range(20, 30));
    store.close();
  });

  it('lets two members in one process share a group, and releases the partition on a clean stop', async () => {
    // A lease far longer than the test: only the release can hand the partition over in time.
    const { broker, store } = open(tempDbPath(), 600_000);
    const a = follow(broker, 'g');
    await broker.send(range(0, 5).map(record));
    await expect.poll(() => a.seen, { timeout: 5_000 }).toEqual(range(0, 5));
    const b = follow(broker, 'g');
    await broker.send(range(5, 10).map(record));
    await expect.poll(() => a.seen.length, { timeout: 5_000 }).toBe(10);
    expect(b.seen).toEqual([]);
    // The waiting member reports the group's backlog, not its own stale position.
    expect(await b.consumption.lag()).toEqual([{ topic: TOPIC, partition: 0, position: 10, end: 10 }]);

    a.stop.abort();
    expect(await a.consumption.done).toEqual({ records: 10, reason: 'aborted' });
    await broker.send(range(10, 15).map(record));
    await expect.poll(() => b.seen, { timeout: 5_000 }).toEqual(range(10, 15));
    b.stop.abort();
    await b.consumption.done;
    store.close();
  });

  it('keeps the partition through a long batch and a handler that heartbeats while it waits', async () => {
    const { broker, store } = open(tempDbPath(), 300);
    await broker.send(range(0, 12).map(record));
    const stop = new AbortController();
    const seen: number[] = [];
    const busy = broker.consume({ topics: [TOPIC], group: 'g', start: { from: 'earliest' }, signal: stop.signal }, async (r, context) => {
      const n = (JSON.parse(r.value!) as { n: number }).n;
      // Each record takes a third of the lease; the last one waits three leases, heartbeating.
      const waits = n === 11 ? 18 : 2;
      for (let i = 0; i < waits; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        if (n === 11) await context.heartbeat();
      }
      seen.push(n);
    });
    await expect.poll(() => seen.length, { timeout: 5_000 }).toBeGreaterThan(0);
    const other = follow(broker, 'g');
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(12);
    expect(other.seen).toEqual([]);
    stop.abort();
    other.stop.abort();
    await Promise.all([busy.done, other.consumption.done]);
    store.close();
  });

  it('gives every record to each of two groups', async () => {
    const { broker, store } = open();
    await broker.send(range(0, 10).map(record));
    const one = follow(broker, 'one');
    const two = follow(broker, 'two');
    await expect.poll(() => [one.seen, two.seen], { timeout: 5_000 }).toEqual([range(0, 10), range(0, 10)]);
    one.stop.abort();
    two.stop.abort();
    await Promise.all([one.consumption.done, two.consumption.done]);
    store.close();
  });

  it('with exitAtEnd, a member whose partition another member holds ends at once; the holder finishes it', async () => {
    const { broker, store } = open(tempDbPath(), 600_000);
    await broker.send(range(0, 6).map(record));
    const holder = follow(broker, 'g');
    await expect.poll(() => holder.seen.length, { timeout: 5_000 }).toBe(6);
    const late = follow(broker, 'g', { exitAtEnd: true });
    expect(await late.consumption.done).toEqual({ records: 0, reason: 'end' });
    holder.stop.abort();
    await holder.consumption.done;

    await broker.send(range(6, 9).map(record));
    const next = follow(broker, 'g', { exitAtEnd: true });
    expect(await next.consumption.done).toEqual({ records: 3, reason: 'end' });
    expect(next.seen).toEqual(range(6, 9));
    store.close();
  });
});
