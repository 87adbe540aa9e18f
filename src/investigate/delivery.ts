/**
 * What happens to one consumed record, and when its offset is committed
 * (SPEC §3 runtime rules). Every outcome is committed through the record's
 * exactly-once port (RecordContext.exactlyOnce): what the record writes and
 * its offset in one transaction, so:
 *
 *   handled before (inbox, or the group's offset is past it) -> nothing re-done
 *   decode, plan, execute    -> facts + follow-ups + offset, then inbox 'done'
 *   a decision trigger       -> the decision taken (or found not due) with its offset (decide.ts)
 *   permanent failure        -> dead-letter record + offset, then cache and inbox
 *   dead-letter write fails  -> retried; on shutdown throw (no commit)
 *   transient failure        -> retry with backoff; where the transport takes RetryLater the record is
 *                               handed back and only its partition waits, else it waits in place, heartbeating;
 *                               past --max-retries (default with --from: 8) dead-lettered as RetriesExhausted
 *   untyped error            -> counted, retried a few times, then dead-lettered as InternalError
 *   broken cache (corrupt, read-only, disk full) -> thrown: the consumer stops, nothing committed
 *
 * Exactly-once effects: the transaction (nothing a record writes is visible
 * without its offset) plus deterministic workflow names for what happens
 * before it (a redelivered message meets 409 AlreadyExists or the ledger).
 */
import { CancelledError, FatalError, PermanentError, TransientError } from '../core/errors.js';
import { storeError } from '../store/errors.js';
import type { KnowledgeStore, SourceRef } from '../store/types.js';
import type { Touched } from '../store/projection.js';
import {
  RetryLater,
  type ConsumedRecord,
  type ExactlyOnce,
  type OutgoingRecord,
  type RecordContext,
  type RecordHandler,
} from '../transport/port.js';
import type { Incoming } from './dispatch.js';
import type { Effect } from './effects.js';
import type { EventSink, InvestigatorEventName } from './events.js';
import { METRIC, type Metrics } from './metrics.js';
import { typeOfTopic } from '../messages/records.js';
import { DEAD_LETTER_BASE_TOPIC } from '../messages/topics.js';
import { KNOWLEDGE_BASE_TOPIC } from '../facts/codec.js';
import { DECISIONS_BASE_TOPIC } from './decisions.js';
import { maskHeaders, withoutCredentials } from '../messages/secrets.js';
import { cachedValue } from '../messages/dead-letter-copy.js';
import { ERROR_CLASS, decodeConsumed } from './record-decoder.js';
import { sleepWithHeartbeat, retryDelay, type RetryPolicy } from './retry.js';

/** The part of an executor event delivery reads (src/investigate/executor.ts). */
export interface ExecutedEvent {
  kind: string;
  detail?: unknown;
}

/** The record a dead letter is written as (null: the cache only, as for a `--from` file). */
export type DeadLetterRecord = (record: ConsumedRecord, errorClass: string, reason: string) => OutgoingRecord | null;

/** Decision triggers (decide.ts), consumed with the messages. */
export interface DecisionHandling {
  topic: string;
  handle(
    record: ConsumedRecord,
    context: RecordContext,
    close?: () => void,
    report?: (events: ExecutedEvent[]) => void,
  ): Promise<{ events: ExecutedEvent[]; duplicate: boolean }>;
}

export interface DeliveryOptions {
  /** The cache, and where it lives (named when it breaks). */
  store: KnowledgeStore & { readonly path: string };
  plan(incoming: Incoming): Promise<Effect[]>;
  /**
   * Applies the effects, committing what they write with the record's offset through `commit`; `close` (the inbox
   * row) joins the cache writes. With `deferring` (the transport takes RecordContext.defer) work may be left running:
   * `confirmed` then gives its events once it settled as the committed writes say.
   */
  execute(
    effects: Effect[],
    source: SourceRef,
    commit: ExactlyOnce['commit'],
    close: (() => void) | undefined,
    deferring: boolean,
  ): Promise<{ events: ExecutedEvent[]; touched: Touched; confirmed?: Promise<() => Promise<ExecutedEvent[]>> }>;
  /** After a record's facts are committed and applied: the decisions they may complete. */
  afterCommit?(touched: Touched): Promise<void>;
  decisions?: DecisionHandling;
  /** Waits while the effects would schedule into a namespace over the pending limit. */
  beforeExecute?(effects: Effect[], context: RecordContext): Promise<void>;
  deadLetterRecord: DeadLetterRecord;
  /** Is the type one this investigator's modes consume (a `--from` file holds every type). */
  handles(typeName: string): boolean;
  emit: EventSink;
  metrics: Metrics;
  now(): number;
  deploymentName?: string;
  maxBytes: number;
  /** Where the records come from (broker address, file:PATH), kept with each dead letter. */
  origin: string;
  /** False for `--from` files: their positions are not broker offsets. */
  useInbox: boolean;
  retry: RetryPolicy;
}

/** ISO time of a clock reading; records of one millisecond share the text. */
const iso = (() => {
  let lastMs = Number.NaN;
  let lastText = '';
  return (ms: number) => (ms === lastMs ? lastText : ((lastMs = ms), (lastText = new Date(ms).toISOString())));
})();

/** The type name events and metrics give a decision trigger. */
const DECISION = 'decision';

/**
 * The topics investigators write for themselves (knowledge, decisions, dead letters), under any deployment's prefix: a
 * recording of a deployment's topics (`kcat -J`, `--from`) may hold them, and they are no message to handle.
 */
const INVESTIGATOR_TOPICS = [KNOWLEDGE_BASE_TOPIC, DECISIONS_BASE_TOPIC, DEAD_LETTER_BASE_TOPIC];
const investigatorTopic = (topic: string) => INVESTIGATOR_TOPICS.some((base) => topic === base || topic.endsWith(`.${base}`));

/** The error class of a record that failed transiently more often than --max-retries allows. */
export const RETRIES_EXHAUSTED = 'RetriesExhausted';

/** The executor's detail as event fields; its `type` (a follow-up's type) must not hide the record's. */
function detailOf(detail: unknown): Record<string, unknown> {
  if (!detail || typeof detail !== 'object' || Array.isArray(detail)) return detail === undefined ? {} : { detail };
  const { type, topic, partition, offset, ...rest } = detail as Record<string, unknown>;
  return { ...rest, ...(type !== undefined ? { messageType: type } : {}), ...(topic !== undefined ? { targetTopic: topic } : {}) };
}

/** A record that failed transiently and waits to be tried again (in place, or handed back to its transport). */
export interface FailingRecord extends SourceRef {
  /** Attempts so far. */
  attempts: number;
  /** The last attempt's error, without credentials. */
  reason: string;
}

/** The rules for each record, and which records are failing transiently meanwhile (what `--until-idle` must not wait on forever). */
export type Delivery = RecordHandler & {
  failing(): FailingRecord[];
  isFailing(record: ConsumedRecord): boolean;
  /** Failing, and waiting for its next attempt (not in the middle of one, which may yet pass). */
  isWaiting(record: ConsumedRecord): boolean;
};

export function createDelivery(options: DeliveryOptions): Delivery {
  const { store, emit, metrics } = options;

  const position = (record: ConsumedRecord, type?: string) => ({
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    ...(type ? { type } : {}),
  });
  const event = (name: InvestigatorEventName, record: ConsumedRecord, type: string | undefined, detail: Record<string, unknown> = {}) =>
    emit({ ts: iso(options.now()), event: name, ...position(record, type), ...detail });

  const exactlyOnceOf = (context: RecordContext): ExactlyOnce => {
    if (!context.exactlyOnce) throw new Error('the investigator consumes only through an exactly-once transport');
    return context.exactlyOnce;
  };

  async function processOnce(record: ConsumedRecord, source: SourceRef, context: RecordContext): Promise<void> {
    const exactlyOnce = exactlyOnceOf(context);
    // The inbox row closes the record, in the cache's transaction that applies its facts.
    const close = options.useInbox ? () => store.recordInbox(source, 'done', iso(options.now())) : undefined;
    if (options.decisions && record.topic === options.decisions.topic) {
      // Not a message: the decider tells what became of it ('decision'), and what it did.
      const tell = (events: ExecutedEvent[]) => {
        for (const result of events) event(result.kind as InvestigatorEventName, record, DECISION, detailOf(result.detail));
      };
      tell((await options.decisions.handle(record, context, close, tell)).events);
      return;
    }
    // What an investigator wrote (its own decision triggers went to the decider above) is read as it was, never handled.
    const decoded = investigatorTopic(record.topic)
      ? undefined
      : decodeConsumed(record, { deploymentName: options.deploymentName, maxBytes: options.maxBytes });
    // A member that held the partition before finished it: the group's offset is past it.
    if ((await exactlyOnce.begin()).handled) return event('duplicate', record, decoded?.type.name);
    /** Commits a record read and not handled, with its inbox row, and says why. */
    const skip = async (reason: string) => {
      await exactlyOnce.commit([], () => {
        if (options.useInbox) store.recordInbox(source, 'skipped', iso(options.now()));
      });
      event('skipped', record, decoded?.type.name, { reason });
    };
    if (!decoded) return skip("an investigator's own topic (knowledge, decisions or dead letters), not a message");
    const typeName = decoded.type.name;
    if (!options.handles(typeName)) return skip('not handled in this mode');
    const effects = await options.plan({ type: decoded.type, message: decoded.message, headers: record.headers, source });
    await options.beforeExecute?.(effects, context);
    const executed = await options.execute(effects, source, exactlyOnce.commit, close, context.defer !== undefined);
    const tell = (events: ExecutedEvent[]) => {
      for (const result of events) event(result.kind as InvestigatorEventName, record, typeName, detailOf(result.detail));
    };
    tell(executed.events);
    await options.afterCommit?.(executed.touched);
    const processed = () => {
      metrics.inc(METRIC.processed, { message_type: typeName });
      event('processed', record, typeName, { effects: effects.length });
    };
    // Its workflow creates still in flight: the batch commits nothing before they are answered, and handles the record
    // again should they fail; the next records are handled meanwhile.
    if (executed.confirmed && context.defer) {
      // Until it is finished, the record may be handled again (its work, or an earlier record's, failed): not received twice.
      const id = recordId(record);
      retrying.set(id, { attempt: 0, unexpected: 0 });
      context.defer(
        executed.confirmed.then(
          (finish) => async () => {
            retrying.delete(id);
            tell(await finish());
            processed();
          },
          (error: unknown) => {
            retrying.set(id, { attempt: 1, unexpected: 0 });
            event('retry', record, typeName, { attempt: 1, delayMs: 0, reason: `${withoutCredentials(messageOf(error))}; handled again` });
            throw error;
          },
        ),
      );
    } else processed();
  }

  async function deadLetter(
    record: ConsumedRecord,
    source: SourceRef,
    typeName: string | undefined,
    errorClass: string,
    rawReason: string,
    context: RecordContext,
  ) {
    // A reason may quote an index URL with its user info; the topic's headers and the cache are read by many.
    const reason = withoutCredentials(rawReason);
    const exactlyOnce = exactlyOnceOf(context);
    for (let attempt = 1; ; attempt++) {
      try {
        if ((await exactlyOnce.begin()).handled) return event('duplicate', record, typeName);
        const letter = options.deadLetterRecord(record, errorClass, reason);
        // The dead letter and the offset in one transaction: written once, or the record stays uncommitted.
        await exactlyOnce.commit(letter ? [letter] : [], () => {
          const at = iso(options.now());
          store.transaction(() => {
            store.recordDeadLetter({
              ...source,
              origin: options.origin,
              errorClass,
              reason,
              // The dead-letter topic keeps the record as it was; the cache's copy is for people, without secrets.
              ...cachedValue(record.value),
              // `authorization: Bearer …`, tokens, URL user info: masked as in the value.
              headers: maskHeaders(record.headers),
              key: record.key,
              createdAt: at,
            });
            if (options.useInbox) store.recordInbox(source, 'dead-letter', at);
          });
        });
        metrics.inc(METRIC.failures, { message_type: typeName ?? 'unknown' });
        metrics.inc(METRIC.deadLetters, { error_class: errorClass });
        event('dead-letter', record, typeName, { errorClass, reason });
        return;
      } catch (error) {
        if (error instanceof RetryLater) throw error;
        throwIfFatal(error, store.path);
        // Not written: the record must not be committed. Keep trying until shutdown.
        if (context.signal.aborted) throw new CancelledError('stopped before the dead letter was written; the record stays uncommitted');
        const delay = retryDelay(options.retry, attempt, error instanceof TransientError ? error.retryAfterMs : undefined);
        event('retry', record, typeName, { attempt, delayMs: delay, reason: `dead-letter write failed: ${messageOf(error)}` });
        await sleepWithHeartbeat(delay, context, options.retry.heartbeatMs);
      }
    }
  }

  /** Records handed back to the transport to be retried later (RetryLater), with the attempts they have had. */
  const retrying = new Map<string, { attempt: number; unexpected: number }>();

  /**
   * Records failing transiently, until they pass or are dead-lettered (a stop leaves them here: they stay uncommitted);
   * `waiting` while no attempt of theirs is under way.
   */
  const failing = new Map<string, { record: FailingRecord; waiting: boolean }>();

  const handle: RecordHandler = async (record, context) => {
    const source: SourceRef = { topic: record.topic, partition: record.partition, offset: record.offset };
    const typeName = options.decisions?.topic === record.topic ? DECISION : typeOfTopic(record.topic, options.deploymentName)?.name;
    const id = recordId(record);
    const resumed = retrying.get(id);
    retrying.delete(id);
    if (options.useInbox && store.inboxOutcome(source) !== undefined) {
      failing.delete(id);
      event('duplicate', record, typeName);
      return;
    }
    if (!resumed && typeName !== DECISION)
      event('received', record, typeName, { key: record.key === null ? null : withoutCredentials(record.key), bytes: record.size });
    const labels = { message_type: typeName ?? 'unknown' };
    metrics.inc(METRIC.inProgress, labels, 1);
    let unexpected = resumed?.unexpected ?? 0;
    /** Handled (or dead-lettered) rather than handed back or stopped. */
    let settled = false;
    try {
      for (let attempt = (resumed?.attempt ?? 0) + 1; ; attempt++) {
        try {
          const known = failing.get(id);
          if (known) known.waiting = false;
          await processOnce(record, source, context);
          settled = true;
          return;
        } catch (error) {
          // Fenced: another member holds the partition now; the transport decides what comes next.
          if (error instanceof RetryLater) throw error;
          throwIfFatal(error, store.path);
          if (error instanceof PermanentError) {
            await deadLetter(record, source, typeName, error.errorClass, error.message, context);
            settled = true;
            return;
          }
          if (context.signal.aborted) throw new CancelledError('stopped while retrying; the record stays uncommitted');
          if (!(error instanceof TransientError)) {
            metrics.inc(METRIC.exceptions, labels);
            if (++unexpected >= options.retry.unexpectedAttempts) {
              await deadLetter(record, source, typeName, ERROR_CLASS.internal, messageOf(error), context);
              settled = true;
              return;
            }
          }
          if (options.retry.maxAttempts !== undefined && attempt >= options.retry.maxAttempts) {
            await deadLetter(
              record,
              source,
              typeName,
              RETRIES_EXHAUSTED,
              `gave up after ${attempt} attempts: ${messageOf(error)}`,
              context,
            );
            settled = true;
            return;
          }
          const delay = retryDelay(options.retry, attempt, error instanceof TransientError ? error.retryAfterMs : undefined);
          const reason = withoutCredentials(messageOf(error));
          failing.set(id, { record: { ...source, attempts: attempt, reason }, waiting: true });
          event('retry', record, typeName, { attempt, delayMs: delay, reason });
          if (context.retriesLater) {
            // The transport holds back this record's partition only, and hands the record back after the delay.
            retrying.set(id, { attempt, unexpected });
            throw new RetryLater(delay);
          }
          await sleepWithHeartbeat(delay, context, options.retry.heartbeatMs);
        }
      }
    } finally {
      metrics.inc(METRIC.inProgress, labels, -1);
      const entry = failing.get(id);
      if (settled) failing.delete(id);
      else if (entry) entry.waiting = true;
    }
  };
  return Object.assign(handle, {
    failing: () => [...failing.values()].map((f) => f.record),
    isFailing: (record: ConsumedRecord) => failing.has(recordId(record)),
    isWaiting: (record: ConsumedRecord) => failing.get(recordId(record))?.waiting === true,
  });
}

const recordId = (record: ConsumedRecord) => `${record.topic}\u0000${record.partition}\u0000${record.offset}`;

/** A broken cache is no message's fault: dead-lettering would blame every message that follows. */
function throwIfFatal(error: unknown, cachePath: string): void {
  const typed = storeError(error, cachePath);
  if (typed instanceof FatalError) throw typed;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
}
