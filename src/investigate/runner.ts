/**
 * The investigator's loop, wired: one source (broker or `--from` file, built
 * by the command), the delivery rules for each record, the effect executor,
 * the operator endpoints, back-pressure, idle exit and a graceful stop.
 * Returns what happened; the command presents it.
 */
import { resolve } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../store/index.js';
import type { Consumption, RecordHandler } from '../transport/port.js';
import { WORKFLOW_KINDS, type KubeClient, type WorkflowKind } from '../workflows/types.js';
import { pendingLimitGate } from './back-pressure.js';
import type { InvestigatorConfig } from '../config/investigator.js';
import { handledTypes, handlesInMode, subscribedTopics } from './modes.js';
import { createDelivery } from './delivery.js';
import { planEffects } from './dispatch.js';
import { countEvent, emptyTally, fanOut, type EventSink, type EventTally, type InvestigatorEventName } from './events.js';
import { createExecutor } from './executor.js';
import { createIndexClient } from './index-client.js';
import { createMetrics, METRIC } from './metrics.js';
import { serveOperatorEndpoints, topicControls, type TopicControls } from './operator.js';
import { followPhases } from './ledger-phases.js';
import type { RetryPolicy } from './retry.js';
import type { InvestigatorSource } from './sources.js';
import { lagSamples, untilDone, watchIdle, watchLag } from './consumption-watch.js';

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
  http: { host: string; port: number; required: boolean } | null;
  maxBytes: number;
  retry: RetryPolicy;
  /** Longest wait for in-flight records after a stop signal (SPEC: exit within 10 s). */
  stopGraceMs: number;
  pendingPollMs: number;
  lagPollMs: number;
  /** How often, against a cluster, the ledger reads the phases of the workflows it holds. */
  phasePollMs: number;
}

export interface RunOutcome {
  tally: EventTally;
  reason: 'end' | 'idle' | 'signal';
  /** ISO time the run started, to find what it wrote. */
  startedAt: string;
  badLines: number;
  source: string;
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

  const executor = createExecutor({
    store,
    kube: ports.kube,
    namespaceFor: options.namespaceFor,
    publish: (record) => source.publish(record),
    now: clock.now,
    metrics,
  });
  const index = createIndexClient();

  const halted = new Set<string>();
  const updateHalted = () => metrics.set(METRIC.haltedTopics, {}, halted.size);
  const delivery = createDelivery({
    store,
    plan: (incoming) => planEffects(incoming, { store, config, index, now: clock.now }),
    execute: (effects, ref, close) => executor.execute(effects, ref, { close }),
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
    deadLetters: source.deadLetters,
    handles: (typeName) => handlesInMode(typeName, config.modes),
    emit,
    metrics,
    now: clock.now,
    deploymentName: config.deploymentName,
    maxBytes: options.maxBytes,
    origin: options.from ? `file:${options.from === '-' ? 'stdin' : resolve(options.from)}` : source.description,
    useInbox: source.kind === 'broker',
    retry: options.retry,
  });

  // Stop on a signal, or after --until-idle without records.
  const idle = new AbortController();
  const stop = AbortSignal.any([ports.signal, idle.signal]);
  let inFlight = 0;
  let lastActivity = clock.now();
  const handler: RecordHandler = async (record, context) => {
    inFlight++;
    lastActivity = clock.now();
    try {
      await delivery(record, context);
    } finally {
      inFlight--;
      lastActivity = clock.now();
    }
  };

  note('started', {
    source: source.kind === 'file' ? `file:${source.description}` : source.description,
    modes: config.modes,
    workflows: ports.kube ? `cluster ${ports.kube.description}` : 'record',
    ...(source.kind === 'broker' ? { group: options.group } : {}),
  });
  let consumption: Consumption | undefined = undefined;
  // Before consuming, so that a port that cannot be bound stops the run before any record is taken.
  const server = options.http
    ? await serveOperatorEndpoints({
        ...options.http,
        topics: source.kind === 'broker' ? subscribedTopics(config) : [],
        deploymentName: config.deploymentName,
        consumption: () => consumption,
        metrics,
        halted,
        onHaltedChange: updateHalted,
        note,
        running: () => !stop.aborted,
        log: log,
      })
    : undefined;
  await source.prepare((text) => log.warn(text));
  const started = source.consume(handler, stop);
  consumption = started;
  if (source.kind === 'broker')
    ports.onControls?.(
      topicControls(
        {
          topics: subscribedTopics(config),
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
          quietFor: () => (inFlight === 0 ? clock.now() - lastActivity : 0),
          backlog: async () => {
            const samples = await lagSamples(started);
            return samples === undefined ? undefined : samples.reduce((sum, p) => sum + p.value, 0);
          },
          stop,
          onIdle: () => {
            note('idle-exit', { idleSeconds: options.untilIdleMs! / 1000 });
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
        list: (namespace) => kube.listWorkflows(namespace),
        namespaces: [...new Set(WORKFLOW_KINDS.map((kind) => options.namespaceFor(kind)))],
        store,
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
    idle.abort('finished');
    await watchdog;
    await lagWatch;
    await phaseWatch;
    await server?.close();
  }
  const reason = ports.signal.aborted ? 'signal' : idle.signal.reason === 'idle' ? 'idle' : 'end';
  note('stopped', { reason, received: tally.received, deadLetters: tally.deadLetters });
  return { tally, reason, startedAt, badLines: source.badLines(), source: source.description };
}
