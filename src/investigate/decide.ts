/**
 * The decisions of decisions.ts at run time: producing triggers for the
 * decisions this replica owns, and taking them.
 *
 * Taking one (the owner of the trigger's partition, one trigger at a time):
 *   1. begin(): the partition's transactional producer is this replica's now
 *      (fencing an earlier owner, whose open transaction is completed or
 *      aborted first); a trigger the group committed already is skipped;
 *   2. the first time after gaining the partition, read the knowledge topic
 *      up to its end as it is now: every decision an earlier owner took is in
 *      the cache before anything is evaluated (its "taken" fact was committed
 *      with its offset, or aborted by the fence);
 *   3. read at least as far as the trigger names, evaluate again, and if
 *      still due commit in ONE transaction the follow-up (adviser-re-run),
 *      the "taken" fact and the trigger's offset. Security indicators create
 *      their workflow first (deterministic name: a crash before the commit
 *      redelivers the trigger and the second create meets 409).
 * A re-run is therefore published once: a second trigger of the same
 * decision finds the "taken" fact in the cache (this replica applied it at
 * once; a later owner reads it in step 2).
 */
import type { InvestigatorConfig } from '../config/investigator.js';
import { PermanentError } from '../core/errors.js';
import type { Store } from '../store/index.js';
import type { Touched } from '../store/projection.js';
import type { SourceRef } from '../store/types.js';
import type { ConsumedRecord, OutgoingRecord, RecordContext } from '../transport/port.js';
import { decodeTrigger, decisionsTouched, evaluate, pendingDecisions, triggerValue } from './decisions.js';
import type { CommitPort, Executor, ExecutorEvent } from './executor.js';
import type { KnowledgeSync } from '../transport/knowledge-sync.js';

export interface DeciderOptions {
  store: Store;
  config: Pick<InvestigatorConfig, 'schedule'>;
  sync: Pick<KnowledgeSync, 'catchUp' | 'reach' | 'positions'>;
  /** Plain (non-transactional) writes of triggers, and the partition a key goes to. */
  transport: { send(records: OutgoingRecord[]): Promise<unknown>; partitionOf(topic: string, key: string): Promise<number> };
  /**
   * True (a broker): triggers are written in the background, one write at a time carrying every trigger that came
   * while the one before was on its way, so a record never waits for its trigger's round trip. False (a `--from`
   * file, whose in-memory queue takes them): each is written before `consider` returns.
   */
  background?: boolean;
  decisionsTopic: string;
  /** The decisions partitions this replica holds now. */
  owned(): number[];
  executor: Executor;
  note(event: 'decision-trigger' | 'decision', detail: Record<string, unknown>): void;
  warn(text: string): void;
  signal: AbortSignal;
}

export interface Decider {
  /** Triggers the decisions these facts complete, where this replica owns them (not before `ready`). */
  consider(touched: Touched): Promise<void>;
  /**
   * Triggers every pending decision of these partitions (gained just now; every owned one by default, the periodic scan)
   * after reading the knowledge topic to its end; after a gain, not those whose trigger this replica produced under the
   * ownership just begun: that one is on its way.
   */
  scan(partitions?: number[]): Promise<void>;
  /**
   * Takes the trigger's decision when it is still due (see above); what the executor did goes to `report`
   * before the 'decision' note (and is returned when there is no `report`).
   */
  handle(
    record: ConsumedRecord,
    context: RecordContext,
    close?: () => void,
    report?: (events: ExecutorEvent[]) => void,
  ): Promise<{ events: ExecutorEvent[]; duplicate: boolean }>;
  /** From now on facts may produce triggers (the first catch-up is over). */
  ready(): void;
  /** Whether triggers are waiting to be written or on their way (background writes). */
  busy(): boolean;
  /** Resolves once every trigger produced so far has been written (or its write failed). */
  settled(): Promise<void>;
}

export function createDecider(o: DeciderOptions): Decider {
  /**
   * Triggers this replica produced and has not seen handled: no second one meanwhile. Each with its partition (-1
   * while that is looked up) and the ownership of the partition it was produced under (`gains`).
   */
  const pending = new Map<string, { partition: number; ownership: number }>();
  /**
   * Per decisions partition, how many times this replica has gained it. A trigger produced under an earlier ownership
   * may have been handled by another owner meanwhile (or never reach one): the scan after a gain produces it again.
   * One produced under the ownership just begun is on its way to this replica, and is not.
   */
  const gains = new Map<number, number>();
  /**
   * Decisions whose taking failed for good (their trigger was dead-lettered, e.g. a follow-up the broker refuses):
   * not triggered again by this replica, or every scan would dead-letter another trigger. (Kept in memory: a
   * replica that starts later tries such a decision once more, and dead-letters it once more.)
   */
  const failed = new Set<string>();
  /** The session of each decisions partition after which the knowledge topic was read to its end. */
  const caughtUp = new Map<number, number>();
  let isReady = false;

  const produce = async (keys: string[], only?: ReadonlySet<number>) => {
    const records: OutgoingRecord[] = [];
    const owned = new Set(o.owned());
    for (const key of keys) {
      if (pending.has(key) || failed.has(key)) continue;
      if (!evaluate(o.store, o.config, key, null).due) continue;
      // Reserved before waiting for the partition: facts applied meanwhile (the changelog) must not trigger it again.
      pending.set(key, { partition: -1, ownership: 0 });
      const partition = await o.transport.partitionOf(o.decisionsTopic, key);
      if (!owned.has(partition) || (only && !only.has(partition))) {
        pending.delete(key);
        continue;
      }
      pending.set(key, { partition, ownership: gains.get(partition) ?? 0 });
      records.push({ topic: o.decisionsTopic, key, headers: {}, value: triggerValue(key, o.sync.positions()) });
      o.note('decision-trigger', { decision: key, partition });
    }
    if (records.length === 0) return;
    if (!o.background) return write(records);
    outbox.push(...records);
    flush();
  };

  const write = (records: OutgoingRecord[]): Promise<void> =>
    o.transport.send(records).then(
      () => undefined,
      (error: unknown) => {
        for (const r of records) pending.delete(r.key!);
        // The next scan (on assignment, or the periodic one) triggers them again.
        o.warn(
          `could not write decision triggers (${error instanceof Error ? error.message : String(error)}); they are retried by the next scan`,
        );
      },
    );
  /** Background writes: triggers not written yet, and the write on its way. */
  const outbox: OutgoingRecord[] = [];
  let writing: Promise<void> | undefined;
  const flush = (): void => {
    if (writing || outbox.length === 0) return;
    writing = write(outbox.splice(0)).finally(() => {
      writing = undefined;
      flush();
    });
  };

  return {
    ready: () => void (isReady = true),
    busy: () => writing !== undefined || outbox.length > 0,
    settled: async () => {
      while (writing) await writing;
    },
    consider: async (touched) => {
      if (!isReady) return;
      await produce(decisionsTouched(o.store, touched));
    },
    scan: async (partitions) => {
      if (!isReady) return;
      const only = new Set(partitions ?? o.owned());
      if (only.size === 0) return;
      // Partitions named are gained now: a new ownership of each, before the records they bring are handled.
      for (const partition of partitions ?? []) gains.set(partition, (gains.get(partition) ?? 0) + 1);
      await o.sync.catchUp(o.signal);
      // After a gain, what this replica produced under the ownership just begun is on its way to it. The periodic scan
      // triggers those again too: a trigger the embedded broker wrote inside a batch that was rolled back is gone.
      for (const [key, { partition, ownership }] of pending)
        if (only.has(partition) && (partitions === undefined || ownership !== gains.get(partition))) pending.delete(key);
      await produce(pendingDecisions(o.store), only);
    },
    handle: async (record, context, close, report) => {
      const exactlyOnce = context.exactlyOnce;
      if (!exactlyOnce) throw new Error('decision triggers are handled only with an exactly-once transport');
      const trigger = decodeTrigger(record.value);
      const { session, handled } = await exactlyOnce.begin();
      if (handled) {
        pending.delete(trigger.decision);
        o.note('decision', { decision: trigger.decision, outcome: 'handled-before' });
        return { events: [], duplicate: true };
      }
      // Reading the knowledge topic may wait: the records of the batch before this one are committed first.
      if (caughtUp.get(record.partition) !== session) {
        await context.flush?.();
        await o.sync.catchUp(context.signal);
        caughtUp.set(record.partition, session);
      }
      const read = o.sync.positions();
      if ([...trigger.knowledge].some(([p, offset]) => (read.get(p) ?? 0) < offset)) await context.flush?.();
      await o.sync.reach(trigger.knowledge, context.signal);
      const source: SourceRef = { topic: record.topic, partition: record.partition, offset: record.offset };
      const verdict = evaluate(o.store, o.config, trigger.decision, source);
      const commit: CommitPort = exactlyOnce.commit;
      // Failed for good here already: a trigger written before that (a batch's commit is refused after its
      // decisions were taken) would only fail the same way and dead-letter once more.
      if (verdict.due && failed.has(trigger.decision)) {
        await commit([], () => close?.());
        o.note('decision', { decision: trigger.decision, outcome: 'not-due', reason: 'its taking failed for good before' });
        return { events: [], duplicate: false };
      }
      if (!verdict.due) {
        await commit([], () => close?.());
        pending.delete(trigger.decision);
        o.note('decision', { decision: trigger.decision, outcome: 'not-due', reason: verdict.reason });
        return { events: [], duplicate: false };
      }
      let executed;
      try {
        executed = await o.executor.execute(verdict.effects, source, commit, { close });
      } catch (error) {
        if (error instanceof PermanentError) {
          failed.add(trigger.decision);
          pending.delete(trigger.decision);
        }
        throw error;
      }
      pending.delete(trigger.decision);
      // What the decision did is told before that it was taken, as a message's effects come before its 'processed'.
      report?.(executed.events);
      o.note('decision', { decision: trigger.decision, outcome: 'taken' });
      // The decision just taken is not due again (its own fact says so: scheduled, re-run published); the others its
      // facts touched may be.
      if (isReady) await produce(decisionsTouched(o.store, executed.touched).filter((key) => key !== trigger.decision));
      return { events: report ? [] : executed.events, duplicate: false };
    },
  };
}
