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
import type { Broker, OutgoingRecord } from '../transport/port.js';
import type { Progress } from '../core/progress.js';

export type Pace = { kind: 'asap' } | { kind: 'rate'; perSecond: number } | { kind: 'speed'; factor: number };

export interface ReplayPlan {
  files: string[];
  pace: Pace;
  validateOnly: boolean;
  strict: boolean;
  includeInvalid: boolean;
  keepTimestamps: boolean;
  deploymentName?: string;
  batchSize: number;
}

export interface ReplaySummary {
  /** Lines that held an envelope (valid or not). */
  read: number;
  sent: number;
  /** Envelopes whose message failed validation. */
  invalid: number;
  /** Lines that were not a usable envelope (not JSON, missing fields). */
  malformed: number;
  /** Sent (or, with --validate-only, valid) messages per destination topic. */
  topics: Record<string, number>;
  /** True when --strict stopped at a bad line. */
  stopped: boolean;
  /** True when Ctrl-C (the abort signal) ended the run early. */
  interrupted: boolean;
  /** With `interrupted`: the non-blank lines of every file named, when none was stdin (whose rest is unknown). */
  totalLines?: number;
  elapsedMs: number;
}

export interface ReplayPorts {
  broker?: () => Promise<Broker>;
  stdin: NodeJS.ReadableStream;
  log: Logger;
  progress: Progress;
  signal: AbortSignal;
  now: () => number;
}

/**
 * Why a recorded envelope must not be sent as it is: its validation errors,
 * and password fields that `thoth tail` masked (sending them would publish
 * the mask as the password). Checked on every topic, catalogue or not.
 */
function problemsOf(decoded: DecodedMessage): string[] {
  const reasons = decoded.validation && !decoded.validation.ok ? decoded.validation.errors.map((e) => e.message) : [];
  const masked = maskedSecretFields(decoded.envelope.value);
  if (masked.length > 0) reasons.push(maskedSecretReason(masked));
  return reasons;
}

/** When a record is due: sent-count over rate, or the recorded gap divided by the speed factor. */
export function dueTime(pace: Pace, startedAt: number, index: number, timestamp: number, firstTimestamp: number | undefined): number {
  if (pace.kind === 'rate') return startedAt + (index * 1000) / pace.perSecond;
  if (pace.kind === 'speed' && firstTimestamp !== undefined) return startedAt + Math.max(0, timestamp - firstTimestamp) / pace.factor;
  return startedAt;
}

export async function replayStreams(plan: ReplayPlan, ports: ReplayPorts): Promise<ReplaySummary> {
  const startedAt = ports.now();
  const summary: ReplaySummary = {
    read: 0,
    sent: 0,
    invalid: 0,
    malformed: 0,
    topics: {},
    stopped: false,
    interrupted: false,
    elapsedMs: 0,
  };
  const broker = plan.validateOnly ? undefined : await ports.broker!();
  const batch: OutgoingRecord[] = [];
  const warnedTopics = new Set<string>();
  let firstTimestamp: number | undefined;
  let queued = 0;

  // One batch is in flight while the next is read and checked; sends stay in order.
  let inFlight: Promise<void> = Promise.resolve();
  const flush = async () => {
    await inFlight;
    if (batch.length === 0) return;
    const records = batch.splice(0, batch.length);
    inFlight = broker!.send(records).then(() => {
      summary.sent += records.length;
    });
    // Awaited by the next flush; this only keeps a failure from being reported as unhandled meanwhile.
    inFlight.catch(() => undefined);
  };

  outer: for (const file of plan.files) {
    const source = file === '-' ? '<stdin>' : file;
    const input = openInput(file, ports.stdin);
    const size = file === '-' ? undefined : statSync(file).size;
    for await (const entry of readEnvelopes(input, source)) {
      if (ports.signal.aborted) break outer;
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
      const { envelope, body } = entry.parsed;
      const decoded = decodeEnvelope(envelope, plan.deploymentName);
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
      batch.push(outgoingOf(envelope, topic, body, plan.keepTimestamps));
      queued++;
      summary.topics[topic] = (summary.topics[topic] ?? 0) + 1;
      if (batch.length >= plan.batchSize) await flush();
    }
  }
  await flush();
  await inFlight;
  ports.progress.finish();
  if (ports.signal.aborted) {
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
