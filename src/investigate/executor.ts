/**
 * The investigator's effect executor (STYLE 7): it composes the scheduling
 * and publishing capabilities (workflow-scheduler.ts, follow-up-publisher.ts;
 * `thoth submit` and `thoth publish` use one each) with the knowledge as
 * facts (knowledge-facts.ts), and applies one message's effects so that
 * doing it twice does nothing more than doing it once:
 *
 *   1. everything is checked first (follow-up bodies, workflow parameters),
 *      so a bad effect fails the message before anything is applied;
 *   2. workflows through scheduleWorkflow, BEFORE the commit: deterministic
 *      names, the ledger, and 409 AlreadyExists with a matching key counted
 *      as done. A crash after a create and before the commit redelivers the
 *      message (its offset was not committed), and the second create meets
 *      409: still one workflow. A message's creates go out side by side, at
 *      most `maxInFlight` at once (`--max-in-flight`), and are reported in
 *      the order the handler asked for them;
 *   3. then ONE commit (the caller's: a Kafka transaction, one SQLite
 *      transaction on the embedded broker): the message's facts on the
 *      knowledge topic, its follow-up messages and its offset, all or none.
 *      A follow-up is never written without the offset that says its message
 *      is done, so a redelivery cannot publish it twice; and never lost, since
 *      an aborted commit leaves the message to be handled again;
 *   4. once committed, the facts are applied to this cache at once
 *      (read-your-writes); reading them back from the topic later applies
 *      them again, which changes nothing (set semantics).
 *
 * Where the batch lets a record leave work running (`deferring`: the
 * transport's RecordContext.defer, src/transport/batch.ts), a create is not
 * waited for: the message's facts say the workflow is Pending, as a create
 * answers, and `confirmed` settles once the cluster has answered. The next
 * records are handled meanwhile; at most `maxInFlight` creates are in flight
 * across them. The batch commits nothing before `confirmed`; a workflow that
 * existed already in another phase has that phase written then (as the
 * phase watcher would), and should a create fail, the record is handled
 * again without deferring, from its writes on.
 */
import { encodeFact } from '../facts/codec.js';
import type { Fact } from '../facts/facts.js';
import { scrubSecrets } from '../messages/secrets.js';
import type { Touched } from '../store/projection.js';
import type { FactFunctions } from '../store/facts-store.js';
import type { KnowledgeStore, LedgerEntry, SourceRef } from '../store/types.js';
import type { OutgoingRecord } from '../transport/port.js';
import { idempotencyKeyOfRequest, resolveParameters } from '../workflows/build.js';
import { statusOf, type LedgerPort } from '../workflows/schedule.js';
import type { CreateOutcome, KubeClient, ScheduleResult, Workflow, WorkflowKind } from '../workflows/types.js';
import type { Effect, KnowledgeChange } from './effects.js';
import { followUpPublisher, followUpRecord, type PublishRecord } from './follow-up-publisher.js';
import { factsOfChange } from './knowledge-facts.js';
import { workflowScheduler, type ScheduleEffect } from './workflow-scheduler.js';
import { securityIndicatorsOutcome, workflowFact } from '../store/ledger.js';

export type { PublishRecord } from './follow-up-publisher.js';

export const SCHEDULED_WORKFLOWS_METRIC = 'thoth_investigator_scheduled_workflows_total';

export interface ExecutorEvent {
  kind: 'scheduled' | 'known' | 'exists' | 'recorded-workflow' | 'recorded' | 'published' | 'metric';
  detail: Record<string, unknown>;
}

export interface ExecutorContext {
  store: KnowledgeStore & Pick<FactFunctions, 'applyFacts'>;
  /** null: workflows are recorded in the ledger only (`--workflows record`). */
  kube: KubeClient | null;
  namespaceFor: (kind: WorkflowKind) => string;
  /** The knowledge topic (deployment-prefixed) the facts go to. */
  knowledgeTopic: string;
  deploymentName?: string;
  now: () => number;
  onEvent?: (event: ExecutorEvent) => void;
  metrics?: { count(name: string, labels: Record<string, string>, value: number, kind: 'counter' | 'gauge'): void };
  signal?: AbortSignal;
  /** component_name/service_version of follow-up messages; default thoth-investigator and thoth's version. */
  origin?: { componentName: string; serviceVersion: string };
  /** `--max-in-flight`: workflow creates in flight at once, of one message, or across a batch's when deferring (default DEFAULT_MAX_IN_FLIGHT). */
  maxInFlight?: number;
}

/** Workflow creates in flight at once, unless --max-in-flight says otherwise. */
export const DEFAULT_MAX_IN_FLIGHT = 8;

/**
 * Commits what a message writes together with its offset (RecordContext.exactlyOnce.commit);
 * `apply` runs once it is durable.
 */
export type CommitPort = (records: OutgoingRecord[], apply: () => void) => Promise<void>;

export interface Executed {
  events: ExecutorEvent[];
  /**
   * With `deferring`, once the cluster has answered every create still in flight: what finishes the message when
   * the records before it stand (writes the phase of a workflow that already existed in another, through the same
   * commit, and gives the creates' events). Rejects when a create failed.
   */
  confirmed?: Promise<() => Promise<ExecutorEvent[]>>;
  /** What the facts touched in this cache (for the decisions they may complete). */
  touched: Touched;
  /** The facts written. */
  facts: Fact[];
}

export interface Executor {
  /** `close` is a last cache write for the message (the inbox row), applied with its facts. */
  execute(
    effects: Effect[],
    source: SourceRef | null,
    commit: CommitPort,
    options?: { close?: () => void; deferring?: boolean },
  ): Promise<Executed>;
}

function changeDetail(change: KnowledgeChange): Record<string, unknown> {
  const { what, ...rest } = change;
  return { what, ...rest };
}

interface Scheduled {
  result: ScheduleResult;
  /** The ledger entries its scheduling wrote. */
  entries: LedgerEntry[];
}

/**
 * Schedules the effects with at most `limit` in flight, and returns their outcomes in the effects' order.
 * Effects with one idempotency key run one after the other, each seeing the entries of those before it (the
 * second is 'known', not a second create). A failure starts nothing more; once what was started has settled,
 * the first failing effect's error is thrown (what was created meanwhile meets 409 on the redelivery).
 */
async function scheduleAll(
  effects: readonly ScheduleEffect[],
  limit: number,
  schedule: (effect: ScheduleEffect, earlier: readonly LedgerEntry[], index: number) => Promise<Scheduled>,
): Promise<Scheduled[]> {
  const results: Scheduled[] = new Array<Scheduled>(effects.length);
  const failures: Array<{ index: number; error: unknown }> = [];
  /** Per idempotency key: the entries written so far and the end of its chain. */
  const chains = new Map<string, { entries: LedgerEntry[]; tail: Promise<void> }>();
  const running = new Set<Promise<void>>();
  for (let index = 0; index < effects.length && failures.length === 0; index++) {
    while (running.size >= Math.max(1, limit)) await Promise.race(running);
    if (failures.length > 0) break;
    const effect = effects[index];
    const key = idempotencyKeyOfRequest(effect.request);
    const chain = chains.get(key) ?? { entries: [], tail: Promise.resolve() };
    chains.set(key, chain);
    const task = chain.tail.then(async () => {
      if (failures.length > 0) return;
      try {
        const done = await schedule(effect, [...chain.entries], index);
        chain.entries.push(...done.entries);
        results[index] = done;
      } catch (error) {
        failures.push({ index, error });
      }
    });
    chain.tail = task;
    const tracked: Promise<void> = task.finally(() => running.delete(tracked));
    running.add(tracked);
  }
  await Promise.all(running);
  if (failures.length > 0) throw failures.reduce((a, b) => (b.index < a.index ? b : a)).error;
  return results;
}

/** At most `limit` held at once; `take` waits for one to be given back. */
function slots(limit: number) {
  let free = Math.max(1, limit);
  const waiting: Array<() => void> = [];
  return {
    take: (): Promise<void> | undefined => {
      if (free > 0) {
        free--;
        return undefined;
      }
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    give: () => {
      const next = waiting.shift();
      if (next) next();
      else free++;
    },
  };
}

/**
 * The cluster as a deferring executor sees it: a create answers at once as a new workflow does (no phase yet:
 * Pending in the ledger) once one of the shared slots is free; what the cluster really answered goes to `sent`.
 */
function optimistic(
  kube: KubeClient,
  inFlight: ReturnType<typeof slots>,
  sent: (answer: Promise<{ outcome: CreateOutcome; workflow: Workflow }>) => void,
): KubeClient {
  const createWorkflow: KubeClient['createWorkflow'] = async (workflow, options) => {
    await inFlight.take();
    const answer = kube.createWorkflow(workflow, options);
    sent(answer);
    void answer.then(inFlight.give, inFlight.give);
    return { outcome: 'created', workflow };
  };
  return Object.assign(Object.create(kube) as KubeClient, { createWorkflow });
}

/** A security-indicators workflow found finished: the version's analysis done or failed (none for other kinds or phases). */
function finishedOutcome(entry: LedgerEntry, at: string): Fact[] {
  const outcome = securityIndicatorsOutcome(entry, entry.status, at);
  return outcome ? [outcome] : [];
}

export function createExecutor(context: ExecutorContext): Executor {
  const scheduler = workflowScheduler(context);
  /** Creates in flight across the records of a batch, when they are not waited for (`deferring`). */
  const inFlight = slots(context.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
  // Follow-ups are written by the commit, not sent on their own.
  const publisher = followUpPublisher({ send: async () => undefined, origin: context.origin });

  return {
    async execute(effects, source, commit, options = {}) {
      const events: ExecutorEvent[] = [];
      const emit = (event: ExecutorEvent) => {
        events.push(event);
        context.onEvent?.(event);
      };
      const at = new Date(context.now()).toISOString();

      // 1. Check everything before applying anything.
      const publishes: PublishRecord[] = [];
      for (const effect of effects) {
        if (effect.type === 'schedule') resolveParameters(effect.request);
        if (effect.type === 'publish') publishes.push(publisher.prepare(effect));
      }

      // 2. Workflows: created side by side (at most maxInFlight requests at once), reported in the order the
      //    handler asked for them; their ledger entries become facts. One idempotency key is created once.
      const schedules = effects.filter((e): e is ScheduleEffect => e.type === 'schedule');
      const ledgerEntries: LedgerEntry[] = [];
      /** Deferring: per schedule effect, what the cluster answered to its create (none when it sent none). */
      const answers: Array<Promise<{ outcome: CreateOutcome; workflow: Workflow }> | undefined> = [];
      const deferring = options.deferring === true && context.kube !== null;
      const results = await scheduleAll(schedules, context.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, (effect, earlier, index) => {
        const own: LedgerEntry[] = [];
        const ledger: LedgerPort = {
          findWorkflowByKey: (key) =>
            [...earlier].reverse().find((entry) => entry.idempotencyKey === key) ?? context.store.findWorkflowByKey(key),
          recordWorkflow: (entry) => void own.push(entry),
          setWorkflowStatus: () => {
            throw new Error('the executor does not change workflow statuses');
          },
        };
        const kube = deferring ? optimistic(context.kube!, inFlight, (answer) => void (answers[index] = answer)) : undefined;
        return scheduler.schedule(effect, source, ledger, kube).then((result) => ({ result, entries: own }));
      });
      const report = (effect: ScheduleEffect, result: Pick<ScheduleResult, 'name' | 'kind' | 'namespace' | 'outcome'>) => {
        const kind = result.outcome === 'created' ? 'scheduled' : result.outcome === 'recorded' ? 'recorded-workflow' : result.outcome;
        if (result.outcome === 'created' || result.outcome === 'recorded') {
          context.metrics?.count(
            SCHEDULED_WORKFLOWS_METRIC,
            { message_type: effect.messageType ?? 'manual', workflow_type: result.kind },
            1,
            'counter',
          );
        }
        return {
          kind,
          detail: {
            name: result.name,
            kind: result.kind,
            namespace: result.namespace,
            reason: effect.reason,
            parameters: effect.request.parameters,
          },
        } satisfies ExecutorEvent;
      };
      /** Deferring: per create in flight, its event and, for a workflow found in another phase, its ledger entry as it is. */
      const pending: Array<Promise<{ event: ExecutorEvent; found?: LedgerEntry }>> = [];
      schedules.forEach((effect, i) => {
        const { result, entries } = results[i];
        ledgerEntries.push(...entries);
        const answer = answers[i];
        if (!answer) return emit(report(effect, result));
        pending.push(
          answer.then(({ outcome, workflow }) => {
            const event = report(effect, { ...result, outcome });
            const status = statusOf(workflow);
            // The facts said Pending, as a new workflow is; one that existed already may be further on.
            const entry = entries.find((e) => e.name === result.name);
            return status === entry?.status ? { event } : { event, found: entry && { ...entry, status, updatedAt: at } };
          }),
        );
      });
      // Handled from now on: a create may fail while the commit below is awaited.
      const answered = pending.length > 0 ? Promise.all(pending) : undefined;
      answered?.catch(() => undefined);

      // 3. One commit: the facts, the follow-ups and (the caller's part) the offset.
      const changes = effects.flatMap((e) => (e.type === 'record' ? [e.change] : []));
      const facts: Fact[] = [
        ...changes.flatMap((change) => factsOfChange(change, { at, source, view: context.store })),
        ...ledgerEntries.flatMap((entry) => [
          workflowFact(entry, context.store.findWorkflow(entry.name)),
          // Found on the cluster finished already (an earlier attempt's): what it found, as the phase watcher would write.
          ...finishedOutcome(entry, at),
        ]),
      ];
      const factRecords = facts.map(encodeFact);
      const records: OutgoingRecord[] = [
        ...factRecords.map((f) => ({ topic: context.knowledgeTopic, key: f.key, headers: {}, value: f.value })),
        ...publishes.map((p) => followUpRecord(p, context.deploymentName)),
      ];
      let touched: Touched = { versions: [], adviserIds: [], workflows: [] };
      await commit(records, () => {
        // 4. Read-your-writes: the cache has them now; the topic brings them again later, changing nothing.
        touched = context.store.transaction(() => {
          const applied = context.store.applyFacts(facts, factRecords);
          options.close?.();
          return applied.touched;
        });
      });

      for (const change of changes) emit({ kind: 'recorded', detail: changeDetail(change) });
      for (const record of publishes)
        emit({ kind: 'published', detail: { type: record.messageType, key: record.key, message: scrubSecrets(record.message) } });
      for (const effect of effects) {
        if (effect.type !== 'metric') continue;
        context.metrics?.count(effect.name, effect.labels, effect.value, effect.kind);
        emit({ kind: 'metric', detail: { name: effect.name, labels: effect.labels, value: effect.value, metric: effect.kind } });
      }
      if (!answered) return { events, touched, facts };
      const confirmed = answered.then((settled) => async () => {
        const found = settled.flatMap((s) =>
          s.found ? [workflowFact(s.found, context.store.findWorkflow(s.found.name)), ...finishedOutcome(s.found, at)] : [],
        );
        if (found.length > 0) {
          const encoded = found.map(encodeFact);
          await commit(
            encoded.map((f) => ({ topic: context.knowledgeTopic, key: f.key, headers: {}, value: f.value })),
            () => void context.store.transaction(() => context.store.applyFacts(found, encoded)),
          );
        }
        for (const { event } of settled) context.onEvent?.(event);
        return settled.map((s) => s.event);
      });
      // Whoever defers it handles its failure; until then it must not count as unhandled.
      confirmed.catch(() => undefined);
      return { events, touched, facts, confirmed };
    },
  };
}
