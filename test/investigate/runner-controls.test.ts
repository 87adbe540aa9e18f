/**
 * A running investigator on the embedded broker, driven in process: the topic
 * controls it hands to its dashboard (the h/r keys: halting a topic pauses its
 * consumption and says so as a 'paused' event, resuming lets it go on; the lag
 * events carry each partition's lag), and its stop while a decision trigger is
 * on its way (triggers go out in the background on a broker, src/investigate/
 * decide.ts: the stop waits for the write within its grace, not longer), and
 * its start while the broker does not answer, with --until-idle.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { investigatorConfig } from '../../src/config/investigator.js';
import { readSettings } from '../../src/config/settings.js';
import { TransientError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import type { InvestigatorEvent } from '../../src/investigate/events.js';
import type { TopicControls } from '../../src/investigate/operator.js';
import type { KnowledgeTransport } from '../../src/transport/knowledge-port.js';
import { DEFAULT_RETRY } from '../../src/investigate/retry.js';
import { knowledgeTopics, runInvestigator } from '../../src/investigate/runner.js';
import { brokerSource, type InvestigatorSource } from '../../src/investigate/sources.js';
import { openStore, type Store } from '../../src/store/index.js';
import { openEmbeddedBroker } from '../../src/transport/embedded.js';
import { openEmbeddedKnowledge } from '../../src/transport/embedded-knowledge.js';
import { eventually } from '../support/eventually.js';

const INDEX = 'https://index.example/simple';
const UNRESOLVED = 'thoth.investigator.unresolved-package';
let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-controls-'));
  store = openStore(join(dir, 'thoth.db'), { create: true, indexUrls: INDEX });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const body = (name: string) =>
  JSON.stringify({
    component_name: 'thoth',
    service_version: '0.1.0',
    version: 'v1',
    package_name: name,
    package_version: '1.0.0',
    index_url: INDEX,
    solver: null,
  });

const SOLVED = 'thoth.solver.solved-package';
const solved = JSON.stringify({
  component_name: 'solver',
  service_version: '0.1.0',
  version: 'v1',
  package_name: 'flask',
  package_version: '2.0.1',
  index_url: INDEX,
  solver: 'solver-rhel-8-py38',
});

/** An investigator of `topics` (and the decisions topic) on the embedded broker in this test's cache; `send` stands in for the knowledge channel's writes. */
function investigator(
  topics: string[],
  options: {
    decisions?: boolean;
    send?: (knowledge: KnowledgeTransport) => KnowledgeTransport['send'];
    log?: Logger;
    onControls?: (c: TopicControls) => void;
    /** The source as the run gets it (a fault put in). */
    source?: (source: InvestigatorSource) => InvestigatorSource;
    untilIdleMs?: number;
    startPatienceMs?: number;
    /** Operator endpoints on a free loopback port (their address is logged). */
    http?: boolean;
  } = {},
) {
  const broker = openEmbeddedBroker(store, join(dir, 'thoth.db'));
  const config = investigatorConfig(readSettings({ THOTH_INDEX_URLS: INDEX }));
  const names = knowledgeTopics(config);
  const knowledge = openEmbeddedKnowledge(store, join(dir, 'thoth.db'));
  const events: InvestigatorEvent[] = [];
  const stop = new AbortController();
  const run = runInvestigator(
    {
      config,
      group: 'g',
      namespaceFor: () => 'thoth',
      http: options.http ? { host: '127.0.0.1', port: 0, required: true } : null,
      maxBytes: 1_000_000,
      retry: DEFAULT_RETRY,
      stopGraceMs: 500,
      pendingPollMs: 1_000,
      lagPollMs: 50,
      phasePollMs: 1_000,
      ...(options.untilIdleMs !== undefined ? { untilIdleMs: options.untilIdleMs } : {}),
      ...(options.startPatienceMs !== undefined ? { startPatienceMs: options.startPatienceMs } : {}),
    },
    {
      source: (options.source ?? ((given: InvestigatorSource) => given))(
        brokerSource({
          broker,
          knowledge: options.send
            ? Object.assign(Object.create(knowledge) as KnowledgeTransport, { send: options.send(knowledge) })
            : knowledge,
          topics,
          knowledgeTopic: names.knowledge,
          ...(options.decisions ? { decisionsTopic: names.decisions } : {}),
          group: 'g',
          start: { from: 'earliest' },
          partitionsConcurrently: 1,
          maxBytes: 1_000_000,
        }),
      ),
      store,
      kube: null,
      clock: { now: () => Date.now() },
      log: options.log ?? { notice: () => undefined, warn: () => undefined, debug: () => undefined },
      signal: stop.signal,
      onControls: options.onControls,
    },
    (event) => events.push(event),
  );
  return { broker, names, events, stop, run };
}

describe('the topic controls of a running investigator', () => {
  it('halts and resumes a topic, and reports lag per partition', async () => {
    let controls: TopicControls | undefined;
    const { broker, events, stop, run } = investigator([UNRESOLVED], { onControls: (given) => (controls = given) });
    const received = () => events.filter((e) => e.event === 'received').length;
    await eventually(() => controls !== undefined, 'the topic controls', { timeoutMs: 10_000 });
    expect(controls!.topics).toContain(UNRESOLVED);
    expect(controls!.halt('unresolved-package')).toBe('unknown');
    expect(controls!.halt(UNRESOLVED)).toBe('halted');
    expect(controls!.halt(UNRESOLVED)).toBe('already');
    expect(events.find((e) => e.event === 'paused')).toMatchObject({ topic: UNRESOLVED, by: 'dashboard' });

    await broker.send([{ topic: UNRESOLVED, key: 'flask', headers: {}, value: body('flask') }]);
    await eventually(() => events.some((e) => e.event === 'lag' && e.total === 1), 'the lag of the halted topic', { timeoutMs: 10_000 });
    expect(events.filter((e) => e.event === 'lag').at(-1)).toMatchObject({ byPartition: [{ topic: UNRESOLVED, partition: 0, lag: 1 }] });
    expect(received()).toBe(0);

    expect(controls!.resume(UNRESOLVED)).toBe('resumed');
    await eventually(() => received() === 1, 'the record received once resumed', { timeoutMs: 10_000 });
    expect(events.find((e) => e.event === 'resumed')).toMatchObject({ topic: UNRESOLVED, by: 'dashboard' });
    stop.abort();
    expect((await run).reason).toBe('signal');
  });
});

describe('halting a topic through the operator endpoints while the run starts', () => {
  it('holds the topic back from its first record, though consumption began after the halt', async () => {
    const notices: string[] = [];
    // The topics are prepared only once the test says so: the endpoints answer, nothing is consumed yet.
    let prepare!: () => void;
    const prepared = new Promise<void>((resolve) => (prepare = resolve));
    const { broker, events, stop, run } = investigator([UNRESOLVED], {
      http: true,
      log: { notice: (text) => void notices.push(text), warn: () => undefined, debug: () => undefined },
      source: (source) => ({ ...source, prepare: async (warn) => (await prepared, source.prepare(warn)) }),
    });
    const url = await eventually(() => /operator endpoints on (\S+) /.exec(notices.join('\n'))?.[1], 'the endpoints', {
      timeoutMs: 10_000,
    });
    await broker.send([{ topic: UNRESOLVED, key: 'flask', headers: {}, value: body('flask') }]);
    const halt = await fetch(`${url}/halt/${UNRESOLVED}`, { method: 'POST' });
    expect(await halt.json()).toMatchObject({ state: 'halted', changed: true });
    prepare();

    // Consuming now, and the record waits: the lag says so, and nothing was received.
    await eventually(() => events.some((e) => e.event === 'lag' && e.total === 1), 'the lag of the halted topic', { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(events.filter((e) => e.event === 'received')).toEqual([]);

    expect(await (await fetch(`${url}/resume/${UNRESOLVED}`, { method: 'POST' })).json()).toMatchObject({
      state: 'running',
      changed: true,
    });
    await eventually(() => events.some((e) => e.event === 'processed'), 'the record handled once resumed', { timeoutMs: 10_000 });
    stop.abort();
    expect((await run).reason).toBe('signal');
  });
});

describe('stopping with a decision trigger on its way', () => {
  it('waits for its write within the stop grace, then stops and says the next scan triggers it', async () => {
    const warnings: string[] = [];
    // The decisions topic's writes never answer (a broker gone quiet); every other write goes through.
    let hung = 0;
    let decisions = '';
    const { broker, events, stop, run, names } = investigator([SOLVED], {
      decisions: true,
      send: (knowledge) => (records) =>
        records.some((r) => r.topic === decisions) ? (hung++, new Promise(() => undefined)) : knowledge.send(records),
      log: { notice: () => undefined, debug: () => undefined, warn: (text) => void warnings.push(text) },
    });
    decisions = names.decisions!;
    await broker.send([{ topic: SOLVED, key: 'flask', headers: {}, value: solved }]);
    await eventually(() => events.some((e) => e.event === 'decision-trigger') && hung === 1, 'the decision trigger on its way', {
      timeoutMs: 10_000,
    });
    // A write held for ever does not hold the stop (the test's own time limit would fail it).
    stop.abort();
    expect((await run).reason).toBe('signal');
    expect(warnings).toContain('decision triggers were not written within 0.5s of the stop; the next scan triggers them');
  });
});

describe('starting while the broker does not answer, with --until-idle', () => {
  /** Preparing the topics fails as a broker that does not answer in time makes it fail, `times` times (for ever by default). */
  const failing = (times = Infinity) => {
    let calls = 0;
    return {
      calls: () => calls,
      source: (source: InvestigatorSource): InvestigatorSource => ({
        ...source,
        prepare: async (warn) => {
          calls++;
          if (calls <= times) throw new TransientError('Kafka at 127.0.0.1:9092: listing topics failed (timed out)');
          return source.prepare(warn);
        },
      }),
    };
  };
  const warnings: string[] = [];
  const log: Logger = { notice: () => undefined, debug: () => undefined, warn: (text) => void warnings.push(text) };
  beforeEach(() => void (warnings.length = 0));

  // The start patience (30 s) shortened to what these tests can wait for.
  it('keeps trying for the idle time, then ends with the error instead of waiting for ever', async () => {
    const fault = failing();
    const { run } = investigator([UNRESOLVED], { source: fault.source, untilIdleMs: 1_500, startPatienceMs: 500, log });
    await expect(run).rejects.toThrow(
      /^preparing the topics kept failing for 1\.\ds: Kafka at 127\.0\.0\.1:9092: listing topics failed \(timed out\)$/,
    );
    expect(fault.calls()).toBeGreaterThan(1);
    expect(warnings[0]).toBe(
      'preparing the topics failed (Kafka at 127.0.0.1:9092: listing topics failed (timed out)); trying again in 1.0s',
    );
  });

  // The second wait (2s uncut) is cut to what is left of the longer of the two (some 1.5s), never to a 0.3s idle time.
  it.each([
    ['goes on as usual when the broker answers within the idle time', 2_500, 500],
    [
      'gives a start at least the start patience, however short the idle time: a broker that answers after a moment is waited for',
      300,
      2_500,
    ],
  ])('%s', async (_, untilIdleMs, startPatienceMs) => {
    const fault = failing(2);
    const { broker, events, run } = investigator([UNRESOLVED], { source: fault.source, untilIdleMs, startPatienceMs, log });
    await broker.send([{ topic: UNRESOLVED, key: 'flask', headers: {}, value: body('flask') }]);
    const ended = await run;
    expect(ended.reason).toBe('idle');
    expect(fault.calls()).toBe(3);
    expect(events.filter((e) => e.event === 'processed')).toHaveLength(1);
    expect(warnings.map((w) => w.replace(/.*; /, ''))).toEqual([
      'trying again in 1.0s',
      expect.stringMatching(/^trying again in (1\.[0-5]|0\.\d)s$/),
    ]);
  });
});
