/**
 * The work of `thoth replay`: stream each file line by line, check every
 * envelope against the type its topic carries, pace the sends (--rate,
 * --speed) and send in batches. Bad lines are reported with their line number
 * and skipped; --strict stops at the first one.
 */
import { statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../core/logger.js';
import { openInput, readEnvelopes, readLines } from '../messages/ndjson.js';
import { decodeEnvelope, outgoingOf, replayTopic, type DecodedMessage } from '../messages/records.js';
import { maskedSecretFields, maskedSecretReason } from '../messages/secrets.js';
import { CancelledError } from '../core/errors.js';
import { topicNameProblem } from '../messages/topics.js';
import type { Broker, OutgoingRecord } from '../transport/port.js';
import { DEFAULT_SEND_RETRY, isTopicRefusal, sendWithRetry } from './send-with-retry.js';
import type { Progress } from '../core/progress.js';

export type Pace = { kind: 'asap' } | { kind: 'rate'; perSecond: number } | { kind: 'speed'; factor: number };

export interface ReplayPlan {
  files: string[];
  pace: Pace;
  validateOnly: boolean;
  strict: boolean;
  includeInvalid: boolean;
  keepTimestamps: boolean;
  /** Send each line to the partition it names (`partition`), where it names one. */
  keepPartitions?: boolean;
  deploymentName?: string;
  batchSize: number;
  /** Skip what comes before: the lines before `line` of `file` (the first file when absent), and the files before it. */
  resumeFrom?: { file?: string; line: number };
  /** How long a batch may keep failing transiently before the replay stops (default 300 s). */
  deliveryTimeoutMs?: number;
}

/** Where a stopped replay stopped: every line before it was sent (or skipped and reported), none from it on. */
export interface ReplayStop {
  reason: string;
  /** The first line not acknowledged by the broker: `--resume-from FILE:LINE` sends from there. */
  file: string;
  line: number;
  /** Lines that were in the batch the broker did not acknowledge (they may have been written if the failure came after the broker took them). */
  unacknowledged: number;
}

export interface ReplaySummary {
  /** Lines that held an envelope (valid or not). */
  read: number;
  sent: number;
  /** Envelopes whose message failed validation. */
  invalid: number;
  /** Lines that were not a usable envelope (not JSON, missing fields). */
  malformed: number;
  /** Lines whose topic the broker refused (invalid, missing or forbidden topic): reported one by one, the others sent. */
  refused: number;
  /** Sent (or, with --validate-only, valid) messages per destination topic. */
  topics: Record<string, number>;
  /** True when --strict stopped at a bad line. */
  stopped: boolean;
  /** True when Ctrl-C (the abort signal) ended the run early. */
  interrupted: boolean;
  /** With `interrupted`: the non-blank lines of every file named, when none was stdin (whose rest is unknown). */
  totalLines?: number;
  /** Set when the broker failed for good (or past the delivery timeout): where to resume. */
  failed?: ReplayStop;
  /** Lines skipped by --resume-from. */
  resumedPast?: number;
  elapsedMs: number;
}

export interface ReplayPorts {
  broker?: () => Promise<Broker>;
  stdin: NodeJS.ReadableStream;
  log: Logger;
  progress: Progress;
  signal: AbortSignal;
  now: () => number;
  /** Waits between retries (tests make it instant). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Why a recorded envelope must not be sent as it is: its validation errors,
 * and password fields that `thoth tail` masked (sending them would publish
 * the mask as the password). Checked on every topic, catalogue or not.
 */
function problemsOf(decoded: DecodedMessage): string[] {
  const reasons = decoded.validation && !decoded.validation.ok ? decoded.validation.errors.map((e) => e.message) : [];
  const masked = showsNoMask(decoded.envelope) ? [] : maskedSecretFields(decoded.envelope.value);
  if (masked.length > 0) reasons.push(maskedSecretReason(masked));
  return reasons;
}

/** A mask in the value needs `***` in its exact text (or an escape that could spell it): one scan of the text instead of a walk. */
function showsNoMask(envelope: DecodedMessage['envelope']): boolean {
  const { body } = envelope;
  return typeof body === 'string' && envelope.tree !== undefined && !/\*\*\*|\\/.test(body);
}

/** When a record is due: sent-count over rate, or the recorded gap divided by the speed factor. */
export function dueTime(pace: Pace, startedAt: number, index: number, timestamp: number, firstTimestamp: number | undefined): number {
  if (pace.kind === 'rate') return startedAt + (index * 1000) / pace.perSecond;
  if (pace.kind === 'speed' && firstTimestamp !== undefined) return startedAt + Math.max(0, timestamp - firstTimestamp) / pace.factor;
  return startedAt;
}

interface Queued {
  record: OutgoingRecord;
  source: string;
  line: number;
}

/** Stops the reading loop: the broker failed for good. */
class Stop extends Error {
  constructor(readonly stop: ReplayStop) {
    super(stop.reason);
  }
}

export async function replayStreams(plan: ReplayPlan, ports: ReplayPorts): Promise<ReplaySummary> {
  const startedAt = ports.now();
  const summary: ReplaySummary = {
    read: 0,
    sent: 0,
    invalid: 0,
    malformed: 0,
    refused: 0,
    topics: {},
    stopped: false,
    interrupted: false,
    elapsedMs: 0,
  };
  const broker = plan.validateOnly ? undefined : await ports.broker!();
  const batch: Queued[] = [];
  const warnedTopics = new Set<string>();
  /** Topics the broker took a record of: sent in batches. A new topic's first record goes alone, so that a refusal names its line. */
  const knownTopics = new Set<string>();
  /** Topics refused for good, with the reason: their lines are reported and not sent. */
  const refusedTopics = new Map<string, string>();
  let firstTimestamp: number | undefined;
  let queued = 0;
  const retry = { ...DEFAULT_SEND_RETRY, ...(plan.deliveryTimeoutMs !== undefined ? { deliveryTimeoutMs: plan.deliveryTimeoutMs } : {}) };
  const sendPorts = { broker: broker!, log: ports.log, signal: ports.signal, now: ports.now, policy: retry, sleep: ports.sleep };

  const refuseLine = (item: Queued, reason: string) => {
    summary.refused++;
    ports.log.warn(`${item.source}:${item.line}: not sent: ${reason}`);
  };

  /** Sends records in order; a failure that is not about one topic stops the replay at the first of them. */
  const send = async (items: Queued[]): Promise<void> => {
    try {
      await sendWithRetry(
        items.map((i) => i.record),
        sendPorts,
      );
    } catch (error) {
      if (error instanceof CancelledError) throw error;
      const topic = items[0].record.topic;
      if (isTopicRefusal(error) && items.every((i) => i.record.topic === topic)) {
        refusedTopics.set(topic, (error as Error).message);
        for (const item of items) refuseLine(item, (error as Error).message);
        return;
      }
      throw new Stop({
        reason: error instanceof Error ? error.message : String(error),
        file: items[0].source,
        line: items[0].line,
        unacknowledged: items.length,
      });
    }
    for (const item of items) {
      knownTopics.add(item.record.topic);
      summary.topics[item.record.topic] = (summary.topics[item.record.topic] ?? 0) + 1;
    }
    summary.sent += items.length;
  };

  // One send is in flight while the next batch is read and checked; sends stay in order.
  let inFlight: Promise<void> = Promise.resolve();
  /** Topics whose first record is in flight alone: their next records wait in the batch for its answer. */
  const probing = new Set<string>();
  const flush = async () => {
    await inFlight;
    // Lines queued while their topic's first record was in flight: reported one by one when the broker refused it.
    const items = batch.splice(0, batch.length).filter((item) => {
      const refusal = refusedTopics.get(item.record.topic);
      if (refusal !== undefined) refuseLine(item, refusal);
      return refusal === undefined;
    });
    if (items.length === 0) return;
    inFlight = send(items);
    // Awaited by the next flush; this only keeps a failure from being reported as unhandled meanwhile.
    inFlight.catch(() => undefined);
  };

  const resume = plan.resumeFrom;
  let resuming = resume !== undefined;
  try {
    outer: for (const file of plan.files) {
      const source = file === '-' ? '<stdin>' : file;
      if (resuming && resume!.file !== undefined && resume!.file !== file && resume!.file !== source) continue;
      const input = openInput(file, ports.stdin);
      const size = file === '-' ? undefined : statSync(file).size;
      // A hand-written line without a timestamp is stamped as it is read, as a producer would.
      for await (const entry of readEnvelopes(input, source, ports.now)) {
        if (ports.signal.aborted) break outer;
        if (resuming) {
          if (entry.line < resume!.line) {
            summary.resumedPast = (summary.resumedPast ?? 0) + 1;
            continue;
          }
          resuming = false;
        }
        ports.progress.update(
          entry.bytesRead,
          size,
          `${source}: ${plan.validateOnly ? `${summary.read} checked` : `${summary.sent + batch.length} sent`}`,
        );
        if ('error' in entry) {
          summary.malformed++;
          ports.log.warn(entry.error.message);
          if (plan.strict) {
            summary.stopped = true;
            break outer;
          }
          continue;
        }
        summary.read++;
        const { envelope, body, canonical } = entry.parsed;
        const decoded = decodeEnvelope(envelope, plan.deploymentName, canonical);
        if (!decoded.type && !warnedTopics.has(envelope.topic)) {
          warnedTopics.add(envelope.topic);
          ports.log.warn(`${source}:${entry.line}: topic ${envelope.topic} carries no known message type; replayed as recorded, unchecked`);
        }
        const reasons = problemsOf(decoded);
        if (reasons.length > 0) {
          summary.invalid++;
          const what = decoded.type ? `${decoded.type.name} message` : 'message';
          ports.log.warn(`${source}:${entry.line}: invalid ${what}${plan.includeInvalid ? ' (sent anyway)' : ''}: ${reasons.join('; ')}`);
          if (plan.strict) {
            summary.stopped = true;
            break outer;
          }
          if (!plan.includeInvalid) continue;
        }
        const topic = replayTopic(envelope.topic, plan.deploymentName);
        if (plan.validateOnly) {
          summary.topics[topic] = (summary.topics[topic] ?? 0) + 1;
          continue;
        }
        const item: Queued = {
          record: outgoingOf(envelope, topic, body, plan.keepTimestamps, plan.keepPartitions),
          source,
          line: entry.line,
        };
        const badName = topicNameProblem(topic);
        const refusal = badName ?? refusedTopics.get(topic);
        if (refusal !== undefined) {
          refuseLine(item, badName ? `topic "${topic.slice(0, 100)}": ${badName}` : refusal);
          continue;
        }
        firstTimestamp ??= envelope.timestamp;
        const due = dueTime(plan.pace, startedAt, queued, envelope.timestamp, firstTimestamp);
        const wait = due - ports.now();
        if (wait > 0) {
          // Send what is due before waiting, so that a paced replay keeps its pace.
          await flush();
          await inFlight;
          await sleep(wait, undefined, { signal: ports.signal }).catch(() => undefined);
          if (ports.signal.aborted) break outer;
        }
        queued++;
        if (!knownTopics.has(topic) && !probing.has(topic)) {
          // A topic not sent to yet goes alone first: a refusal of the topic is then this line's, and the others go on.
          // Reading goes on meanwhile (the broker may be creating the topic); the lines read wait for its answer.
          await flush();
          // Still one send at a time: the idempotent producer's sequence numbers go wrong with two in flight.
          await inFlight;
          probing.add(topic);
          inFlight = send([item]).finally(() => probing.delete(topic));
          inFlight.catch(() => undefined);
          continue;
        }
        batch.push(item);
        if (batch.length >= plan.batchSize) await flush();
      }
    }
    await flush();
    await inFlight;
  } catch (error) {
    if (error instanceof Stop) summary.failed = error.stop;
    else if (!(error instanceof CancelledError)) throw error;
  }
  ports.progress.finish();
  if (ports.signal.aborted && !summary.failed) {
    summary.interrupted = true;
    if (!plan.files.includes('-')) summary.totalLines = await countLines(plan.files, ports.stdin);
  }
  summary.elapsedMs = ports.now() - startedAt;
  return summary;
}

/** Non-blank lines of the files, counted as the replay reads them, so the summary of an interrupted run can say how far it got. */
async function countLines(files: readonly string[], stdin: NodeJS.ReadableStream): Promise<number> {
  let total = 0;
  for (const file of files) {
    for await (const _ of readLines(openInput(file, stdin))) total++;
  }
  return total;
}
