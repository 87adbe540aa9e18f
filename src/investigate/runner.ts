/**
 * The investigator's loop, wired: one source (broker or `--from` file, built
 * by the command), the knowledge topic read to its end before anything is
 * consumed and followed after (knowledge-sync.ts), the delivery rules for
 * each record, the effect executor, decisions (decide.ts), the operator
 * endpoints, back-pressure, idle exit and a graceful stop. Returns what
 * happened; the command presents it.
 */
import { resolve } from 'node:path';
import { TransientError, UserError, isAbortError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import { sleep } from '../core/sleep.js';
import { createTurns } from '../core/turns.js';
import { batchJournal } from '../transport/batch-journal.js';
import { DEFAULT_BATCH, cacheWrites, type BatchBounds, type CacheWrites } from '../transport/batch.js';
import { KNOWLEDGE_BASE_TOPIC, encodeFact } from '../facts/codec.js';
import { topicName } from '../messages/topics.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../store/index.js';
import type { ConsumedRecord, Consumption, RecordHandler } from '../transport/port.js';
import { WORKFLOW_KINDS, type KubeClient, type WorkflowKind } from '../workflows/types.js';
import { pendingLimitGate } from './back-pressure.js';
import type { InvestigatorConfig } from '../config/investigator.js';
import { handledTypes, handlesInMode, subscribedTopics } from './modes.js';
import { createDecider } from './decide.js';
import { DECISIONS_BASE_TOPIC } from './decisions.js';
import { deadLetterSync, knowledgeSync } from '../transport/knowledge-sync.js';
import { createDelivery, type FailingRecord } from './delivery.js';
import { planEffects } from './dispatch.js';
import { countEvent, emptyTally, fanOut, type EventSink, type EventTally, type InvestigatorEventName } from './events.js';
import { createExecutor } from './executor.js';
import { createIndexClient } from './index-client.js';
import { createMetrics, METRIC } from './metrics.js';
import { serveOperatorEndpoints, topicControls, type TopicControls } from './operator.js';
import { followPhases } from './ledger-phases.js';
import type { RetryPolicy } from './retry.js';
import type { InvestigatorSource } from './sources.js';
import { lagSamples, settledWithin, untilDone, watchIdle, watchLag } from './consumption-watch.js';

/** With --until-idle, how long a failing start is tried at the least, however short the idle time. */
export const START_PATIENCE_MS = 30_000;

export interface RunnerOptions {
  config: InvestigatorConfig;
  /** `--from`: the recorded stream the file source reads (names the origin of dead letters). */
  from?: string;
  /** `--until-idle`: stop after this long without a record. */
  untilIdleMs?: number;
  group: string;
  readonly namespaceFor: (kind: WorkflowKind) => string;
  pendingLimit?: number;
  /** Operator endpoints; null turns them off. */
  http: { host: string; port: number; required: boolean; hostNames?: readonly string[]; token?: string } | null;
  maxBytes: number;
  retry: RetryPolicy;
  /** Longest wait for in-flight records after a stop signal (SPEC: exit within 10 s). */
  stopGraceMs: number;
  pendingPollMs: number;
  lagPollMs: number;
  /** How often, against a cluster, the ledger reads the phases of the workflows it holds. */
  phasePollMs: number;
  /** How often the owner of decisions partitions looks again for decisions due and not triggered (default 30 s). */
  decisionScanMs?: number;
  /** With --until-idle, how long a failing start is tried at the least (default START_PATIENCE_MS). */
  startPatienceMs?: number;
  /** `--batch-max`, `--batch-ms`: how many records one commit covers at most, and how long a batch stays open (src/transport/batch.ts). */
  batch?: BatchBounds;
  /** `--max-in-flight`: workflow creates in flight at once (executor.ts). */
  maxInFlight?: number;
}

/** The topics the investigator keeps its knowledge and decisions in (deployment-prefixed). */
export function knowledgeTopics(config: Pick<InvestigatorConfig, 'deploymentName' | 'modes'>): { knowledge: string; decisions?: string } {
  return {
    knowledge: topicName(KNOWLEDGE_BASE_TOPIC, config.deploymentName),
    // Decisions follow from the learning topics, so the middletier takes them.
    ...(config.modes.includes('middletier') ? { decisions: topicName(DECISIONS_BASE_TOPIC, config.deploymentName) } : {}),
  };
}

export interface RunOutcome {
  tally: EventTally;
  reason: 'end' | 'idle' | 'signal';
  /** ISO time the run started, to find what it wrote. */
  startedAt: string;
  badLines: number;
  source: string;
  /** Records failing transiently when the run went idle (--until-idle): left uncommitted, the next run takes them again. */
  failing: FailingRecord[];
}

/** What the loop runs on: explicit ports, which tests build directly. */
export interface RunnerPorts {
  /** Where records come from and follow-ups and dead letters go (sources.ts). */
  source: InvestigatorSource;
  store: Store;
  /** null: record workflows in the ledger only. */
  kube: KubeClient | null;
  clock: Clock;
  log: Logger;
  /** Aborted on SIGINT/SIGTERM: finish in-flight records, commit, stop. */
  signal: AbortSignal;
  /** Given the topic controls once consumption has started (the dashboard's h/r keys); brokers only. */
  onControls?: (controls: TopicControls) => void;
}

export async function runInvestigator(options: RunnerOptions, ports: RunnerPorts, present: EventSink): Promise<RunOutcome> {
  const { store, source, clock, log } = ports;
  const config = options.config;
  if (options.from && config.indexUrls.length === 0 && store.registeredIndexes().length === 0) {
    log.warn(
      'no package index is registered (THOTH_INDEX_URLS, --index-url): every message naming an index will be dead-lettered as UnregisteredIndex',
    );
  }
  const startedAt = new Date(clock.now()).toISOString();
  const tally = emptyTally();
  const metrics = createMetrics();
  // Every series exists from the start at 0: a rate() or an absent() alert sees the first failure.
  for (const type of handledTypes(config)) {
    for (const name of [METRIC.processed, METRIC.exceptions, METRIC.failures]) metrics.inc(name, { message_type: type.name }, 0);
  }
  let warnedDuplicate = false;
  const emit = fanOut(
    (event) => countEvent(tally, event),
    (event) => {
      if (event.event !== 'duplicate' || warnedDuplicate) return;
      warnedDuplicate = true;
      // Offsets restart at 0 when a broker's topics are recreated; an old cache would then skip new records.
      log.warn(
        `${event.topic}[${event.partition}]@${event.offset} was already handled according to the cache's inbox (${store.path}); skipping it. If the broker's topics were recreated since, use a fresh --db`,
      );
    },
    present,
  );
  const note = (event: InvestigatorEventName, detail: Record<string, unknown> = {}) =>
    emit({ ts: new Date(clock.now()).toISOString(), event, ...detail });

  const topics = knowledgeTopics(config);
  const executor = createExecutor({
    store,
    kube: ports.kube,
    namespaceFor: options.namespaceFor,
    knowledgeTopic: topics.knowledge,
    deploymentName: config.deploymentName,
    now: clock.now,
    metrics,
    ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
  });
  const index = createIndexClient();
  // One writer of the cache at a time: a batch's open transaction, the knowledge topic's reader, phase updates.
  const turns = createTurns();
  // Against a cluster, a record's workflow creates are not waited for before the next record (RecordContext.defer).
  // On Kafka a batch is committed to the broker before the cache: its inbox rows wait in a journal in between.
  const journal = batchJournal({
    path: store.path,
    store,
    turns,
    onSettled: (b) => {
      if (b.kept === 0) return;
      log.notice(
        `kept ${b.kept} inbox row(s) of ${b.topic}[${b.partition}] offsets ${b.from}-${b.upTo - 1}: the last run stopped after the broker's commit of that batch and before the cache's`,
      );
    },
  });
  const writes = cacheWrites(store, turns, { deferring: ports.kube !== null, journal });
  // The last step of a batch's commit (the broker's comes first): what was processed before it is now committed.
  const cache: CacheWrites = {
    ...writes,
    commit: () => {
      writes.commit();
      note('committed');
    },
  };
  let consumption: Consumption | undefined = undefined;
  const running = new AbortController();
  const sync = knowledgeSync({
    transport: source.knowledge,
    topic: topics.knowledge,
    store,
    now: clock.now,
    turn: (fn) => turns.run(fn, running.signal),
    warn: (text) => {
      metrics.inc(METRIC.knowledgeUnreadable, {});
      log.warn(text);
      note('knowledge', { state: 'skipped', reason: text });
    },
    onApplied: (touched) => {
      void decider.consider(touched).catch((error: unknown) => log.warn(`deciding on new knowledge failed: ${String(error)}`));
    },
  });
  const decider = createDecider({
    store,
    config,
    sync,
    transport: {
      send: (records) => turns.run(() => source.knowledge.send(records)),
      partitionOf: (topic, key) => source.knowledge.partitionOf(topic, key),
    },
    decisionsTopic: topics.decisions ?? '',
    // A `--from` run handles a record's triggers from its queue right after the record: they must be in it by then.
    background: source.kind === 'broker',
    // A `--from` run is its own only member: it owns every decision.
    owned: () =>
      source.kind === 'file'
        ? [0]
        : (consumption?.assignment?.() ?? []).filter((a) => a.topic === topics.decisions).map((a) => a.partition),
    executor,
    note: (event, detail) => {
      if (event === 'decision') metrics.inc(METRIC.decisions, { outcome: String(detail.outcome) });
      note(event, detail);
    },
    warn: (text) => log.warn(text),
    signal: running.signal,
  });

  /** Where a dead letter came from: the broker's address, or the recorded stream. */
  const origin = options.from ? `file:${options.from === '-' ? 'stdin' : resolve(options.from)}` : source.description;
  /** Topics halted (/halt, the dashboard) and, as `pending:<namespace>`, namespaces over --pending-limit. */
  const halted = new Set<string>();
  const updateHalted = () => metrics.set(METRIC.haltedTopics, {}, halted.size);
  const delivery = createDelivery({
    store,
    plan: (incoming) => planEffects(incoming, { store, config, index, now: clock.now }),
    execute: (effects, ref, commit, close, deferring) => executor.execute(effects, ref, commit, { close, deferring }),
    afterCommit: (touched) => decider.consider(touched),
    decisions: topics.decisions
      ? { topic: topics.decisions, handle: (record, context, close, report) => decider.handle(record, context, close, report) }
      : undefined,
    beforeExecute:
      options.pendingLimit !== undefined && ports.kube
        ? pendingLimitGate({
            limit: options.pendingLimit,
            countPending: (ns) => ports.kube!.countPending(ns),
            namespaceFor: options.namespaceFor,
            pollMs: options.pendingPollMs,
            heartbeatMs: options.retry.heartbeatMs,
            onPause: (namespace, pending) => {
              halted.add(`pending:${namespace}`);
              updateHalted();
              note('paused', { namespace, pending, limit: options.pendingLimit });
            },
            onResume: (namespace) => {
              halted.delete(`pending:${namespace}`);
              updateHalted();
              note('resumed', { namespace });
            },
          })
        : undefined,
    deadLetterRecord: source.deadLetterRecord,
    handles: (typeName) => handlesInMode(typeName, config.modes),
    emit,
    metrics,
    now: clock.now,
    deploymentName: config.deploymentName,
    maxBytes: options.maxBytes,
    origin,
    useInbox: source.kind === 'broker',
    retry: options.retry,
  });

  // Stop on a signal, or after --until-idle without records (or when the knowledge topic cannot be read).
  const idle = new AbortController();
  const stop = AbortSignal.any([ports.signal, idle.signal, running.signal]);
  /** The records being handled now; `lastActivity`: when one last started or ended, records failing transiently apart. */
  const inFlight = new Set<ConsumedRecord>();
  let lastActivity = clock.now();
  const handler: RecordHandler = async (record, context) => {
    // A record tried again after a transient failure is no progress: --until-idle ends while only such records wait.
    if (!delivery.isFailing(record)) lastActivity = clock.now();
    inFlight.add(record);
    try {
      await delivery(record, context);
    } finally {
      inFlight.delete(record);
      if (!delivery.isFailing(record)) lastActivity = clock.now();
    }
  };
  /** Nothing handled but records waiting to be tried again (an attempt under way may yet pass). */
  const quiet = () => [...inFlight].every((record) => delivery.isWaiting(record)) && !decider.busy();
  /** What was failing when the run went idle (the partitions are given back once it stops). */
  let failingAtIdle: FailingRecord[] = [];
  /** The records failing transiently in the partitions this member holds (one given away is another member's now). */
  const failingHere = () => {
    const held = consumption?.assignment?.();
    if (held === undefined) return delivery.failing();
    const partitions = new Set(held.map((p) => `${p.topic}\u0000${p.partition}`));
    return delivery.failing().filter((f) => partitions.has(`${f.topic}\u0000${f.partition}`));
  };

  note('started', {
    source: source.kind === 'file' ? `file:${source.description}` : source.description,
    modes: config.modes,
    workflows: ports.kube ? `cluster ${ports.kube.description}` : 'record',
    ...(source.kind === 'broker' ? { group: options.group, knowledge: topics.knowledge } : {}),
  });
  /** The topics /halt and the dashboard may hold back: those consumed from a broker (a file has none). */
  const haltable = source.kind === 'broker' ? subscribedTopics(config) : [];
  // Before consuming, so that a port that cannot be bound stops the run before any record is taken.
  const server = options.http
    ? await serveOperatorEndpoints({
        ...options.http,
        topics: haltable,
        deploymentName: config.deploymentName,
        consumption: () => consumption,
        metrics,
        extraSamples: async () => [{ name: METRIC.knowledgeLag, labels: {}, value: await sync.lag() }],
        knowledge: () => (metrics.value(METRIC.knowledgeCaughtUp) === 1 ? 'caught-up' : 'catching-up'),
        halted,
        onHaltedChange: updateHalted,
        note,
        running: () => !stop.aborted,
        log: log,
      })
    : undefined;
  // A broker restarting while this starts is waited for, not a reason to stop (SPEC §3). With --until-idle, for the idle
  // time but never less than START_PATIENCE_MS: a run that cannot start handles nothing and ends like one that has
  // nothing to handle (with an error), while a broker's short hiccup (a restart, a leader elected) does not end a run
  // whose idle time is short.
  const startPatienceMs =
    options.untilIdleMs === undefined ? undefined : Math.max(options.untilIdleMs, options.startPatienceMs ?? START_PATIENCE_MS);
  const patiently = async (what: string, attempt: () => Promise<void>) => {
    /** When the first attempt failed: a long catch-up that fails once at its end has not been failing all along. */
    let since: number | undefined;
    for (let round = 1; ; round++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof TransientError) || stop.aborted) throw error;
        since ??= clock.now();
        const waited = clock.now() - since;
        if (startPatienceMs !== undefined && waited >= startPatienceMs)
          throw new UserError(
            `${what} kept failing for ${(waited / 1000).toFixed(1)}s: ${error.message}`,
            `check that the broker answers (thoth doctor); with --until-idle a failing start is tried for the idle time, at least ${START_PATIENCE_MS / 1000}s, without it for as long as it takes`,
            { cause: error },
          );
        const delayMs = Math.min(10_000, 500 * 2 ** Math.min(round, 5), (startPatienceMs ?? Infinity) - waited);
        log.warn(`${what} failed (${error.message}); trying again in ${(delayMs / 1000).toFixed(1)}s`);
        await sleep(delayMs, stop);
      }
    }
  };
  await patiently('preparing the topics', () => source.prepare((text) => log.warn(text)));
  // Like a Kafka Streams global table: the whole knowledge topic is in the cache before any record is handled.
  metrics.set(METRIC.knowledgeCaughtUp, {}, 0);
  const following = sync.start(stop);
  following.catch(() => undefined);
  await patiently(`reading ${topics.knowledge}`, () =>
    catchUpFirst(sync, stop, (behind) => note('knowledge', { state: 'catching-up', topic: topics.knowledge, behind })),
  );
  metrics.set(METRIC.knowledgeCaughtUp, {}, 1);
  note('knowledge', { state: 'caught-up', topic: topics.knowledge, facts: sync.counts().applied });
  decider.ready();
  // Dead letters committed to Kafka come back into the cache from their topic: one whose SQLite commit a crash lost
  // (the broker's commit comes first), and those of the other replicas.
  const deadLetters = source.deadLetters
    ? followDeadLetters({
        ...source.deadLetters,
        store,
        origin,
        now: clock.now,
        turn: (fn) => turns.run(fn, stop),
        warn: (text) => log.warn(text),
        stop,
      })
    : undefined;
  const started = source.consume(handler, stop, { cache, bounds: options.batch ?? DEFAULT_BATCH }, (gained) => {
    const decisions = gained.filter((g) => g.topic === topics.decisions).map((g) => g.partition);
    if (decisions.length > 0) void decider.scan(decisions).catch((error: unknown) => scanFailed(error));
  });
  consumption = started;
  // The endpoints answer from the start: a topic halted while the run was starting is held back from its first record.
  for (const topic of haltable) if (halted.has(topic)) started.pause(topic);
  const scanFailed = (error: unknown) => {
    if (!stop.aborted && !isAbortError(error)) log.warn(`looking for pending decisions failed: ${String(error)}`);
  };
  const rescans = (async () => {
    while (!stop.aborted && topics.decisions && source.kind === 'broker') {
      await sleep(options.decisionScanMs ?? 30_000, stop).catch(() => undefined);
      if (!stop.aborted) await decider.scan().catch(scanFailed);
    }
  })();
  // Reading the knowledge topic failing for good stops the run: decisions would go blind.
  void following.catch((error: unknown) => {
    if (stop.aborted) return;
    log.warn(`reading the knowledge topic ${topics.knowledge} failed: ${String(error)}`);
    running.abort(error);
  });
  if (source.kind === 'broker')
    ports.onControls?.(
      topicControls(
        {
          topics: haltable,
          deploymentName: config.deploymentName,
          consumption: () => consumption,
          halted,
          onHaltedChange: updateHalted,
          note,
        },
        'dashboard',
      ),
    );
  const watchdog =
    options.untilIdleMs !== undefined && source.kind === 'broker'
      ? watchIdle({
          idleMs: options.untilIdleMs,
          quietFor: () => (quiet() ? clock.now() - lastActivity : 0),
          // Records failing transiently hold their partitions' backlog: past the idle time they are left uncommitted.
          stalled: () => failingHere().length > 0,
          backlog: async () => {
            const samples = await lagSamples(started);
            return samples === undefined ? undefined : samples.reduce((sum, p) => sum + p.value, 0);
          },
          stop,
          onIdle: () => {
            failingAtIdle = failingHere();
            const failing = failingAtIdle.length;
            note('idle-exit', { idleSeconds: options.untilIdleMs! / 1000, ...(failing > 0 ? { failing } : {}) });
            idle.abort('idle');
          },
        })
      : undefined;
  const lagWatch =
    source.kind === 'broker'
      ? watchLag(started, stop, options.lagPollMs, (total, partitions, byPartition) => note('lag', { total, partitions, byPartition }))
      : undefined;
  const kube = ports.kube;
  const phaseWatch = kube
    ? followPhases({
        listUnfinished: (namespace) => kube.listWorkflows(namespace, { unfinished: true }),
        get: (namespace, name) => kube.getWorkflow(namespace, name),
        namespaces: [...new Set(WORKFLOW_KINDS.map((kind) => options.namespaceFor(kind)))],
        store,
        record: async (facts) => {
          const records = facts.map(encodeFact);
          // Outside any record's transaction: these facts say what the cluster says, as often as it is asked.
          const applied = await turns.run(async () => {
            await source.knowledge.send(records.map((f) => ({ topic: topics.knowledge, key: f.key, headers: {}, value: f.value })));
            return store.transaction(() => store.applyFactRecords(records));
          }, stop);
          await decider.consider(applied.touched);
        },
        everyMs: options.phasePollMs,
        stop,
        now: clock.now,
        log: log,
        onChange: (entry, status, message) =>
          note('workflow-phase', {
            name: entry.name,
            kind: entry.kind,
            namespace: entry.namespace,
            status,
            ...(message ? { message } : {}),
          }),
      })
    : undefined;

  try {
    await untilDone(started, stop, options.stopGraceMs, log);
  } finally {
    // Triggers on their way are written before the transport closes, within the stop's grace (one not written waits
    // for the next scan of whoever owns its partition).
    if (!(await settledWithin(decider.settled(), options.stopGraceMs)))
      log.warn(`decision triggers were not written within ${options.stopGraceMs / 1000}s of the stop; the next scan triggers them`);
    idle.abort('finished');
    running.abort('finished');
    await rescans;
    await following.catch(() => undefined);
    await deadLetters;
    await watchdog;
    await lagWatch;
    await phaseWatch;
    await server?.close();
  }
  const reason = ports.signal.aborted ? 'signal' : idle.signal.reason === 'idle' ? 'idle' : 'end';
  note('stopped', { reason, received: tally.received, deadLetters: tally.deadLetters });
  return { tally, reason, startedAt, badLines: source.badLines(), source: source.description, failing: failingAtIdle };
}

/**
 * Follows the dead-letter topic into the cache's dead letters until the stop (src/store/dead-letter-records.ts). A
 * topic that is not there (not created yet, or refused) is not followed; reading it failing for good is told, and
 * the run goes on: no decision hangs on it.
 */
async function followDeadLetters(o: {
  transport: NonNullable<InvestigatorSource['deadLetters']>['transport'];
  topic: string;
  store: Store;
  origin: string;
  now: () => number;
  turn: <T>(fn: () => T) => Promise<T>;
  warn: (text: string) => void;
  stop: AbortSignal;
}): Promise<void> {
  if (!(await o.transport.topicExists(o.topic).catch(() => false))) return;
  const sync = deadLetterSync({
    transport: o.transport,
    topic: o.topic,
    store: o.store,
    origin: o.origin,
    now: o.now,
    turn: o.turn,
    warn: o.warn,
  });
  await sync.start(o.stop).catch((error: unknown) => {
    if (!o.stop.aborted)
      o.warn(`reading the dead-letter topic ${o.topic} failed: ${String(error)}; its dead letters are not all in this cache`);
  });
}

/** Waits until the knowledge topic is read to its end as it was at the start, telling how far behind every second. */
async function catchUpFirst(sync: ReturnType<typeof knowledgeSync>, stop: AbortSignal, progress: (behind: number) => void): Promise<void> {
  const caughtUp = sync.catchUp(stop);
  let done = false;
  caughtUp.then(
    () => (done = true),
    () => (done = true),
  );
  await sleep(50, stop).catch(() => undefined);
  while (!done && !stop.aborted) {
    progress(sync.behind());
    await Promise.race([caughtUp.catch(() => undefined), sleep(1_000, stop).catch(() => undefined)]);
  }
  // Stopped while catching up (SIGTERM during start-up): nothing was consumed, the run ends cleanly.
  await caughtUp.catch((error: unknown) => {
    if (!stop.aborted) throw error;
  });
}
