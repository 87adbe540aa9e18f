import { readSettings } from '../../src/config/settings.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/core/errors.js';
import { investigatorConfig } from '../../src/config/investigator.js';
import { createDelivery, type DeliveryOptions } from '../../src/investigate/delivery.js';
import { planEffects } from '../../src/investigate/dispatch.js';
import type { InvestigatorEvent } from '../../src/investigate/events.js';
import { createExecutor } from '../../src/investigate/executor.js';
import { METRIC, createMetrics, type Metrics } from '../../src/investigate/metrics.js';
import { deadLetterRecord, DEAD_LETTER_HEADERS } from '../../src/investigate/sources.js';
import { openStore, type Store } from '../../src/store/index.js';
import { RetryLater, type ConsumedRecord, type OutgoingRecord, type RecordContext } from '../../src/transport/port.js';
import type { KubeClient, Workflow } from '../../src/workflows/types.js';

const INDEX = 'https://index.example/simple';
const SOLVED = 'thoth.solver.solved-package';
const UNRESOLVED = 'thoth.investigator.unresolved-package';
const KNOWLEDGE = 'thoth.investigator.knowledge';
const DEAD_LETTERS = 'thoth.investigator.dead-letter';
const NOW = Date.parse('2026-11-27T12:00:00Z');

const solved = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    component_name: 'solver',
    service_version: '1.0.0',
    version: 'v1',
    package_name: 'requests',
    package_version: '2.25.1',
    index_url: INDEX,
    solver: 'solver-rhel-8-py38',
    ...fields,
  });

/** A message that schedules one solver workflow. */
const unresolved = () =>
  JSON.stringify({
    component_name: 'adviser',
    service_version: '1.0.0',
    version: 'v1',
    package_name: 'requests',
    package_version: '2.25.1',
    index_url: INDEX,
    solver: 'solver-rhel-8-py38',
  });

let offset = 0;
function record(value: string | null, topic = SOLVED): ConsumedRecord {
  return {
    topic,
    partition: 0,
    offset: offset++,
    timestamp: NOW,
    key: null,
    headers: { 'x-trace': 'abc' },
    value,
    size: value === null ? 0 : Buffer.byteLength(value),
  };
}

/** Kubernetes at the edge: counts what reaches it. */
function countingKube(): KubeClient & { created: Workflow[] } {
  const created: Workflow[] = [];
  return {
    description: 'test@loopback',
    created,
    createWorkflow: async (workflow) => {
      created.push(workflow);
      return { outcome: 'created', workflow };
    },
    getWorkflow: async () => undefined,
    listWorkflows: async () => [],
    watchWorkflow: async () => {
      throw new Error('not used');
    },
    countPending: async () => 0,
  };
}

let dir: string;
let store: Store;
let kube: ReturnType<typeof countingKube>;
let events: InvestigatorEvent[];
let metrics: Metrics;
let sentDeadLetters: Array<{ record: ConsumedRecord; errorClass: string; reason: string }>;
/** What the records' transactions committed: offsets per topic/partition and the records written with them. */
let committed: Map<string, number>;
let written: OutgoingRecord[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-delivery-'));
  store = openStore(join(dir, 'thoth.db'), { create: true, indexUrls: INDEX });
  kube = countingKube();
  events = [];
  metrics = createMetrics();
  sentDeadLetters = [];
  committed = new Map();
  written = [];
  offset = 0;
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function delivery(overrides: Partial<DeliveryOptions> = {}) {
  const config = investigatorConfig(readSettings({ THOTH_INDEX_URLS: INDEX }));
  const executor = createExecutor({ store, kube, namespaceFor: () => 'thoth', knowledgeTopic: KNOWLEDGE, now: () => NOW, metrics });
  return createDelivery({
    store,
    plan: (incoming) => planEffects(incoming, { store, config, index: { versions: async () => [] }, now: () => NOW }),
    execute: (effects, source, commit, close) => executor.execute(effects, source, commit, { close }),
    deadLetterRecord: (r, errorClass, reason) => {
      sentDeadLetters.push({ record: r, errorClass, reason });
      return deadLetterRecord(r, errorClass, reason);
    },
    handles: () => true,
    emit: (e) => void events.push(e),
    metrics,
    now: () => NOW,
    maxBytes: 4096,
    origin: 'kafka://127.0.0.1:9092',
    useInbox: true,
    retry: { baseMs: 1, capMs: 4, unexpectedAttempts: 3, heartbeatMs: 2 },
    ...overrides,
  });
}

/**
 * The record's context as an exactly-once transport gives it: commit writes the records and the
 * offset together (here: in memory), begin tells a record committed before. `failCommit` makes
 * the broker refuse the transaction.
 */
function context(
  signal = new AbortController().signal,
  failCommit?: () => Error | undefined,
): RecordContext & { beats: number; forRecord(r: ConsumedRecord): RecordContext } {
  const ctx = {
    beats: 0,
    signal,
    heartbeat: async () => void ctx.beats++,
    forRecord: (r: ConsumedRecord): RecordContext => ({
      ...ctx,
      exactlyOnce: {
        begin: async () => ({ session: 1, handled: (committed.get(`${r.topic}/${r.partition}`) ?? 0) > r.offset }),
        commit: async (records, apply) => {
          const failure = failCommit?.();
          if (failure) throw failure;
          written.push(...records);
          committed.set(`${r.topic}/${r.partition}`, r.offset + 1);
          apply?.();
        },
      },
    }),
  };
  return ctx;
}

/** Hands one record to the delivery as the transport does, with its exactly-once context. */
const deliver = (handle: ReturnType<typeof delivery>, r: ConsumedRecord, ctx = context()) => handle(r, ctx.forRecord(r));

const BAD_INPUTS: Array<[string, ConsumedRecord | (() => ConsumedRecord), string, RegExp]> = [
  ['not JSON', () => record('{"package_name": '), 'NotJson', /not valid JSON/],
  ['an empty value', () => record(null), 'EmptyValue', /empty/],
  ['a blank value', () => record('  '), 'EmptyValue', /empty/],
  ['a JSON array', () => record('[1, 2]'), 'NotAnObject', /JSON array/],
  ['a JSON string', () => record('"requests"'), 'NotAnObject', /JSON string/],
  ['a missing field', () => record(JSON.stringify({ ...JSON.parse(solved()), solver: undefined })), 'ValidationError', /solver/],
  ['an ill-typed field', () => record(solved({ package_version: 2 })), 'ValidationError', /package_version/],
  ['an unknown version', () => record(solved({ version: 'v9' })), 'NoHandlerForVersion', /v9/],
  ['an unknown type', () => record(solved(), 'thoth.no-such.topic'), 'UnknownType', /thoth\.no-such\.topic/],
  ['an invalid PEP 508 name', () => record(solved({ package_name: 'not a name!' })), 'InvalidPackageName', /package/i],
  ['an invalid PEP 440 version', () => record(solved({ package_version: '2.25.1; rm -rf /' })), 'InvalidVersion', /version/i],
  ['an unregistered index', () => record(solved({ index_url: 'https://other.example/simple' })), 'UnregisteredIndex', /other\.example/],
  ['a huge message', () => record(solved({ component_name: 'x'.repeat(5000) })), 'MessageTooLarge', /bytes, more than the limit of 4096/],
];

describe('delivery of one record', () => {
  it.each(BAD_INPUTS)(
    'dead-letters %s with a clear reason, reaches no cluster, and handles the next message',
    async (_name, make, errorClass, reason) => {
      const handle = delivery();
      const bad = typeof make === 'function' ? make() : make;
      await deliver(handle, bad);

      expect(sentDeadLetters).toHaveLength(1);
      // The dead letter went out in the record's transaction, with its offset.
      expect(written.map((w) => w.topic)).toEqual([DEAD_LETTERS]);
      expect(committed.get(`${bad.topic}/0`)).toBe(bad.offset + 1);
      expect(sentDeadLetters[0]).toMatchObject({ errorClass, record: { offset: bad.offset } });
      expect(sentDeadLetters[0].reason).toMatch(reason);
      const [letter] = store.deadLettersReport();
      expect(letter).toMatchObject({ topic: bad.topic, partition: 0, offset: bad.offset, error_class: errorClass });
      expect(store.inboxOutcome({ topic: bad.topic, partition: 0, offset: bad.offset })).toBe('dead-letter');
      expect(kube.created).toHaveLength(0);
      expect(metrics.value(METRIC.failures, { message_type: bad.topic === SOLVED ? 'solved-package' : 'unknown' })).toBe(1);

      const good = record(unresolved(), UNRESOLVED);
      await deliver(handle, good);
      expect(events.filter((e) => e.event === 'processed').map((e) => e.offset)).toEqual([good.offset]);
      expect(kube.created.map((w) => w.metadata.labels.component)).toEqual(['solver']);
    },
  );

  it('keeps the value as received in the cache: the object when JSON, the text otherwise', async () => {
    const handle = delivery();
    await deliver(handle, record('not json at all'));
    await deliver(handle, record(solved({ index_url: 'https://other.example/simple' })));
    const letters = store.deadLettersReport();
    expect(letters[0].value).toBe('not json at all');
    expect(letters[1].value).toMatchObject({ index_url: 'https://other.example/simple' });
  });

  it('puts source topic, partition, offset, error class and reason in the dead letter headers', () => {
    const out = deadLetterRecord(
      { ...record('x'), partition: 3, offset: 41 },
      'NotJson',
      'the value is not valid JSON\nsecond line',
      'dev',
    );
    expect(out.topic).toBe('dev.thoth.investigator.dead-letter');
    expect(out.value).toBe('x');
    expect(out.headers).toEqual({
      'x-trace': 'abc',
      [DEAD_LETTER_HEADERS.topic]: SOLVED,
      [DEAD_LETTER_HEADERS.partition]: '3',
      [DEAD_LETTER_HEADERS.offset]: '41',
      [DEAD_LETTER_HEADERS.errorClass]: 'NotJson',
      [DEAD_LETTER_HEADERS.reason]: 'the value is not valid JSON; second line',
    });
  });

  it('leaves out a value too large to send again, so that the dead letter can be written', () => {
    const huge = record('x'.repeat(10_000));
    const out = deadLetterRecord(huge, 'MessageTooLarge', 'too large', undefined, 8192);
    expect(out.value).toBeNull();
    expect(out.headers[DEAD_LETTER_HEADERS.valueOmitted]).toBe('10000 bytes');
    expect(deadLetterRecord(huge, 'MessageTooLarge', 'too large', undefined, 1024 * 1024).value).toBe(huge.value);
  });

  it('does not commit when the dead-letter write fails: it retries until stopped, then rejects', async () => {
    const stop = new AbortController();
    let attempts = 0;
    const handle = delivery();
    const bad = record('not json');
    const refusing = context(stop.signal, () => {
      if (++attempts === 3) stop.abort();
      return new TransientError('broker unavailable');
    });
    await expect(deliver(handle, bad, refusing)).rejects.toThrow(/uncommitted/);
    expect(committed.size).toBe(0);
    expect(attempts).toBe(3);
    expect(store.deadLettersReport()).toEqual([]);
    expect(store.inboxOutcome({ topic: SOLVED, partition: 0, offset: bad.offset })).toBeUndefined();
  });

  /** A delivery whose planning fails transiently twice (Kubernetes 503), then plans for real. */
  function failingTwiceThenPlanning() {
    let failures = 2;
    const config = investigatorConfig(readSettings({ THOTH_INDEX_URLS: INDEX }));
    return delivery({
      plan: async (incoming) => {
        if (failures-- > 0) throw new TransientError('Kubernetes answered 503');
        return planEffects(incoming, { store, config, index: { versions: async () => [] }, now: () => NOW });
      },
    });
  }

  it('retries a transient failure with backoff and heartbeats, then completes', async () => {
    const handle = failingTwiceThenPlanning();
    const ctx = context();
    await deliver(handle, record(unresolved(), UNRESOLVED), ctx);
    expect(events.filter((e) => e.event === 'retry').map((e) => e.attempt)).toEqual([1, 2]);
    expect(events.at(-1)).toMatchObject({ event: 'processed', type: 'unresolved-package' });
    expect(ctx.beats).toBeGreaterThanOrEqual(2);
    expect(kube.created).toHaveLength(1);
  });

  it('hands a transiently failing record back to a transport that retries later, counting attempts across deliveries', async () => {
    const handle = failingTwiceThenPlanning();
    const r = record(unresolved(), UNRESOLVED);
    const ctx = { ...context().forRecord(r), retriesLater: true };
    await expect(handle(r, ctx)).rejects.toBeInstanceOf(RetryLater);
    await expect(handle(r, ctx)).rejects.toBeInstanceOf(RetryLater);
    expect(store.inboxOutcome({ topic: UNRESOLVED, partition: 0, offset: r.offset })).toBeUndefined();
    await handle(r, ctx);
    expect(events.filter((e) => e.event === 'received')).toHaveLength(1);
    expect(events.filter((e) => e.event === 'retry').map((e) => e.attempt)).toEqual([1, 2]);
    expect(events.at(-1)).toMatchObject({ event: 'processed', type: 'unresolved-package' });
    expect(kube.created).toHaveLength(1);
  });

  it('stops retrying a transient failure when the consumer stops, leaving the record uncommitted', async () => {
    const stop = new AbortController();
    const handle = delivery({
      plan: async () => {
        stop.abort();
        throw new TransientError('SQLITE_BUSY');
      },
    });
    const r = record(solved());
    await expect(deliver(handle, r, context(stop.signal))).rejects.toThrow(/uncommitted|stopped/);
    expect(store.inboxOutcome({ topic: SOLVED, partition: 0, offset: r.offset })).toBeUndefined();
  });

  it('counts an unexpected error, retries it a few times, then dead-letters it as InternalError', async () => {
    const handle = delivery({
      execute: async () => {
        throw new TypeError('cannot read properties of undefined');
      },
    });
    await deliver(handle, record(solved()));
    expect(metrics.value(METRIC.exceptions, { message_type: 'solved-package' })).toBe(3);
    expect(sentDeadLetters.map((d) => d.errorClass)).toEqual(['InternalError']);
    expect(sentDeadLetters[0].reason).toContain('cannot read properties of undefined');
  });

  it('skips a redelivered record that the inbox already closed: no second workflow', async () => {
    const handle = delivery();
    const r = record(unresolved(), UNRESOLVED);
    await deliver(handle, r);
    await deliver(handle, { ...r });
    expect(events.map((e) => e.event)).toContain('duplicate');
    expect(kube.created).toHaveLength(1);
    expect(metrics.value(METRIC.processed, { message_type: 'unresolved-package' })).toBe(1);
  });

  it('skips a record the group committed already (an earlier owner of the partition handled it), committing nothing', async () => {
    const handle = delivery();
    const r = record(unresolved(), UNRESOLVED);
    committed.set(`${UNRESOLVED}/0`, r.offset + 5);
    await deliver(handle, r);
    expect(events.at(-1)).toMatchObject({ event: 'duplicate', offset: r.offset });
    expect(kube.created).toHaveLength(0);
    expect(committed.get(`${UNRESOLVED}/0`)).toBe(r.offset + 5);
  });

  it("writes the message's facts with its offset, and applies them to the cache once committed", async () => {
    const handle = delivery();
    const r = record(solved());
    await deliver(handle, r);
    expect(written.every((w) => w.topic === KNOWLEDGE)).toBe(true);
    expect(written.map((w) => JSON.parse(w.key!) as string[]).map((k) => k[0])).toEqual(['version', 'solved']);
    expect(committed.get(`${SOLVED}/0`)).toBe(r.offset + 1);
    expect(store.isSolved({ packageName: 'requests', packageVersion: '2.25.1', indexUrl: INDEX }, 'solver-rhel-8-py38')).toBe(true);
  });

  it('leaves nothing in the cache when the transaction fails, so that the retry writes every fact again', async () => {
    const handle = delivery();
    const r = record(solved());
    let refusals = 1;
    await deliver(
      handle,
      r,
      context(undefined, () => (refusals-- > 0 ? new TransientError('broker unavailable') : undefined)),
    );
    expect(events.filter((e) => e.event === 'retry')).toHaveLength(1);
    // The first attempt's facts never reached the cache: the second wrote them all.
    expect(written.map((w) => (JSON.parse(w.key!) as string[])[0])).toEqual(['version', 'solved']);
    expect(store.isVersionKnown({ packageName: 'requests', packageVersion: '2.25.1', indexUrl: INDEX })).toBe(true);
  });

  it('skips a type that the modes do not handle, and closes it in the inbox', async () => {
    const handle = delivery({ handles: (type) => type !== 'solved-package' });
    const r = record(solved());
    await deliver(handle, r);
    expect(events.at(-1)).toMatchObject({ event: 'skipped', offset: r.offset });
    expect(store.inboxOutcome({ topic: SOLVED, partition: 0, offset: r.offset })).toBe('skipped');
    expect(kube.created).toHaveLength(0);
  });
});
