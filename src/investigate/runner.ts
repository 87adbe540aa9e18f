/**
 * The investigator's loop, wired: one source (broker or `--from` file), the
 * delivery rules for each record, the effect executor, the operator
 * endpoints, back-pressure, idle exit and a graceful stop. Returns what
 * happened; the command presents it.
 */
import { resolve } from 'node:path';
import type { Deps } from '../cli/deps.js';
import { MESSAGE_TYPES } from '../messages/catalogue.js';
import { topicName } from '../messages/topics.js';
import type { Store } from '../store/index.js';
import type { Consumption, RecordHandler } from '../transport/port.js';
import { WORKFLOW_KINDS, type KubeClient, type WorkflowKind } from '../workflows/types.js';
import { pendingLimitGate } from './back-pressure.js';
import { handlesInMode, type InvestigatorConfig } from './config.js';
import { createDelivery } from './delivery.js';
import { planEffects } from './dispatch.js';
import { countEvent, emptyTally, fanOut, type EventSink, type EventTally, type InvestigatorEventName } from './events.js';
import { createExecutor } from './executor.js';
import { createIndexClient } from './index-client.js';
import { createMetrics, METRIC } from './metrics.js';
import { serveOperatorEndpoints } from './operator.js';
import { followPhases } from './phases.js';
import type { RetryPolicy } from './retry.js';
import { brokerSource, fileSource, type InvestigatorSource } from './sources.js';
import { lagSamples, untilDone, watchIdle, watchLag } from './watch.js';

export interface RunnerOptions {
  config: InvestigatorConfig;
  /** `--from`: a recorded stream instead of a broker. */
  from?: string;
  /** `--until-idle`: stop after this long without a record. */
  untilIdleMs?: number;
  group: string;
  startFrom: 'earliest' | 'latest';
  partitionsConcurrently: number;
  /** null: record workflows in the ledger only. */
  kube: KubeClient | null;
  namespaceFor(kind: WorkflowKind): string;
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

export type RunnerDeps = Pick<Deps, 'env' | 'io' | 'now' | 'signal' | 'log' | 'broker'> & { store: Store };

/** The message types the modes handle. */
const handledTypes = (config: InvestigatorConfig) => MESSAGE_TYPES.filter((t) => handlesInMode(t.name, config.modes));

/** Topics the modes subscribe to, prefixed with the deployment name. */
export function subscribedTopics(config: InvestigatorConfig): string[] {
  return handledTypes(config).map((t) => topicName(t.baseTopic, config.deploymentName));
}

export async function runInvestigator(options: RunnerOptions, deps: RunnerDeps, present: EventSink): Promise<RunOutcome> {
  const { store } = deps;
  const config = options.config;
  if (options.from && config.indexUrls.length === 0 && store.registeredIndexes().length === 0) {
    deps.log.warn('no package index is registered (THOTH_INDEX_URLS, --index-url): every message naming an index will be dead-lettered as UnregisteredIndex');
  }
  const startedAt = new Date(deps.now()).toISOString();
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
      deps.log.warn(
        `${event.topic}[${event.partition}]@${event.offset} was already handled according to the cache's inbox (${store.path}); skipping it. If the broker's topics were recreated since, use a fresh --db`,
      );
    },
    present,
  );
  const note = (event: InvestigatorEventName, detail: Record<string, unknown> = {}) =>
    emit({ ts: new Date(deps.now()).toISOString(), event, ...detail });

  let badLines = 0;
  const source: InvestigatorSource = options.from
    ? fileSource({
        path: options.from,
        stdin: deps.io.stdin,
        deploymentName: config.deploymentName,
        now: deps.now,
        onBadLine: (text) => {
          badLines++;
          deps.log.warn(text);
        },
      })
    : brokerSource({
        broker: await deps.broker(),
        topics: subscribedTopics(config),
        group: options.group,
        start: { from: options.startFrom },
        deploymentName: config.deploymentName,
        partitionsConcurrently: options.partitionsConcurrently,
        maxBytes: options.maxBytes,
      });

  const executor = createExecutor({
    store,
    kube: options.kube,
    namespaceFor: options.namespaceFor,
    publish: (record) => source.publish(record),
    now: deps.now,
    metrics,
  });
  const index = createIndexClient();

  const halted = new Set<string>();
  const updateHalted = () => metrics.set(METRIC.haltedTopics, {}, halted.size);
  const delivery = createDelivery({
    store,
    plan: (incoming) => planEffects(incoming, { store, config, index, now: deps.now }),
    execute: (effects, ref, close) => executor.execute(effects as never, ref, { close }),
    beforeExecute:
      options.pendingLimit !== undefined && options.kube
        ? pendingLimitGate({
            limit: options.pendingLimit,
            countPending: (ns) => options.kube!.countPending(ns),
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
    now: deps.now,
    deploymentName: config.deploymentName,
    maxBytes: options.maxBytes,
    origin: options.from ? `file:${options.from === '-' ? 'stdin' : resolve(options.from)}` : source.description,
    useInbox: source.kind === 'broker',
    retry: options.retry,
  });

  // Stop on a signal, or after --until-idle without records.
  const idle = new AbortController();
  const stop = AbortSignal.any([deps.signal, idle.signal]);
  let inFlight = 0;
  let lastActivity = deps.now();
  const handler: RecordHandler = async (record, context) => {
    inFlight++;
    lastActivity = deps.now();
    try {
      await delivery(record, context);
    } finally {
      inFlight--;
      lastActivity = deps.now();
    }
  };

  note('started', {
    source: source.kind === 'file' ? `file:${source.description}` : source.description,
    modes: config.modes,
    workflows: options.kube ? `cluster ${options.kube.description}` : 'record',
    ...(source.kind === 'broker' ? { group: options.group } : {}),
  });
  let consumption: Consumption | undefined;
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
        log: deps.log,
      })
    : undefined;
  await source.prepare((text) => deps.log.warn(text));
  const started = source.consume(handler, stop);
  consumption = started;
  const watchdog =
    options.untilIdleMs !== undefined && source.kind === 'broker'
      ? watchIdle({
          idleMs: options.untilIdleMs,
          quietFor: () => (inFlight === 0 ? deps.now() - lastActivity : 0),
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
  const lagWatch = source.kind === 'broker' ? watchLag(started, stop, options.lagPollMs, (total, partitions) => note('lag', { total, partitions })) : undefined;
  const kube = options.kube;
  const phaseWatch = kube
    ? followPhases({
        list: (namespace) => kube.listWorkflows(namespace),
        namespaces: [...new Set(WORKFLOW_KINDS.map((kind) => options.namespaceFor(kind)))],
        store,
        everyMs: options.phasePollMs,
        stop,
        now: deps.now,
        log: deps.log,
        onChange: (entry, status, message) => note('workflow-phase', { name: entry.name, kind: entry.kind, namespace: entry.namespace, status, ...(message ? { message } : {}) }),
      })
    : undefined;

  try {
    await untilDone(started, stop, options.stopGraceMs, deps.log);
  } finally {
    idle.abort('finished');
    await watchdog;
    await lagWatch;
    await phaseWatch;
    await server?.close();
  }
  const reason = deps.signal.aborted ? 'signal' : idle.signal.reason === 'idle' ? 'idle' : 'end';
  note('stopped', { reason, received: tally.received, deadLetters: tally.deadLetters });
  return { tally, reason, startedAt, badLines, source: source.description };
}
