/**
 * `thoth replay <file.ndjson>...`: publish a recorded stream (SPEC §7 lines
 * or kcat -J lines), with a progress bar on a terminal and a summary.
 */
import { Command } from '@commander-js/extra-typings';
import { parseDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { write } from '../core/io.js';
import { presentReplaySummary, type ReplayFormat } from '../present/replay.js';
import { replayStreams, type Pace, type ReplayPlan } from '../services/replay.js';
import { progressBar } from '../ui/progress.js';
import type { CommandDefinition } from './command.js';
import { outputOption } from './output.js';

const FORMATS = ['table', 'wide', 'json', 'yaml'] as const;

export interface ReplayOptions extends ReplayPlan {
  output: ReplayFormat;
}

function parsePace(rate: string | undefined, speed: string | undefined): Pace {
  if (rate !== undefined && speed !== undefined) throw new UsageError('--rate and --speed cannot be used together');
  if (rate !== undefined) {
    const match = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(rate);
    if (!match || Number(match[1]) <= 0)
      throw new UsageError(`--rate expects messages per second like 100 or 100/s, got ${JSON.stringify(rate)}`);
    return { kind: 'rate', perSecond: Number(match[1]) };
  }
  if (speed !== undefined) {
    const factor = Number(speed);
    if (!/^\d+(\.\d+)?$/.test(speed) || !(factor > 0))
      throw new UsageError(`--speed expects a positive factor like 1, 10 or 0.5, got ${JSON.stringify(speed)}`);
    return { kind: 'speed', factor };
  }
  return { kind: 'asap' };
}

/** `--resume-from 501` or `--resume-from rec.ndjson:501`: the file must be one of those named. */
export function parseResumeFrom(text: string, files: readonly string[]): { file?: string; line: number } {
  const match = /^(?:(.*):)?(\d+)$/.exec(text);
  const line = match ? Number(match[2]) : NaN;
  if (!match || !Number.isSafeInteger(line) || line < 1) {
    throw new UsageError(`--resume-from expects LINE or FILE:LINE (a line number from 1), got ${JSON.stringify(text)}`);
  }
  const file = match[1];
  if (file === undefined) return { line };
  const named = file === '<stdin>' ? '-' : file;
  if (!files.includes(named)) throw new UsageError(`--resume-from names ${JSON.stringify(file)}, which is not one of the files to replay`);
  return { file: named, line };
}

function parseRetryFor(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`--retry-for expects a duration like 30s, 5m or 1h, got ${JSON.stringify(text)}`);
  return ms;
}

export const replayCommand: CommandDefinition<ReplayOptions> = {
  declare: (parse, done) =>
    new Command('replay')
      .argument('[files...]', 'recorded streams: what `thoth tail -o ndjson` prints, or kcat -J lines (thoth help formats); - for stdin')
      .option('--rate <n/s>', 'send at most n messages per second')
      .option('--speed <x>', 'honour the recorded timestamps, gaps divided by x (1 = real time, 10 = ten times faster)')
      .option('--validate-only', 'check every line and report, send nothing (exit 1 if any line is bad)')
      .option('--strict', 'stop at the first bad line (default: report it and go on)')
      .option('--include-invalid', 'send messages that fail validation as recorded (e.g. to exercise the dead-letter path)')
      .option('--keep-timestamps', "send with the recorded timestamps (default: the broker's clock)")
      .option(
        '--keep-partitions',
        'send each line to the partition it was recorded in (default: the one its key hashes to; a line without a partition still does)',
      )
      .option(
        '--resume-from <[file:]line>',
        'skip what a stopped replay already sent: start at this line of this file (the first file when none is named)',
      )
      .option('--retry-for <duration>', 'keep retrying a batch the broker does not take for this long (default 5m), then stop', '5m')
      .addOption(
        // The summary is a notice about the run: as a table it goes to stderr; json and yaml to stdout.
        outputOption(FORMATS, { always: 'table' }),
      )
      .addHelpText(
        'after',
        `
Topics: a base topic (thoth.solver.solved-package) gets the deployment prefix
(--deployment-name, else THOTH_DEPLOYMENT_NAME); a recorded full topic of the catalogue
moves to that deployment when one is set, else is replayed as recorded; any other topic
is replayed as recorded, unchecked. Keys, headers and bodies are sent as recorded (a kcat
payload byte for byte). Bad lines are reported with file:line and skipped; exit 1 if any.

A broker that goes away (a restart, a lost connection) is waited for: each batch is retried
with backoff for --retry-for, and the idempotent producer writes it once. A topic the broker
refuses (invalid, missing, forbidden) fails its own lines, each reported; the others go on.
Any other refusal, or a broker still gone after --retry-for, stops the replay: the summary
says which line was the first not sent, and --resume-from FILE:LINE sends the rest.

Examples:
  $ thoth replay fixtures/streams/continuous-learning.ndjson
  $ thoth tail --all --exit-at-end -o ndjson | thoth replay - --deployment-name staging
  $ thoth replay fixtures/kcat/kcat-dump.jsonl --speed 10
  $ kcat -C -b 127.0.0.1:9092 -t thoth.solver.solved-package -J -e | thoth replay - --rate 100/s
  $ thoth replay fixtures/streams/*.ndjson --validate-only
  $ thoth replay incident.ndjson --resume-from incident.ndjson:50001`,
      )
      .action((files, o) => {
        if (files.length === 0) throw new UsageError('name at least one recorded stream (a file, or - for stdin)');
        if (files.filter((f) => f === '-').length > 1) throw new UsageError('stdin (-) can be read only once');
        done({
          files,
          pace: parsePace(o.rate, o.speed),
          validateOnly: Boolean(o.validateOnly),
          strict: Boolean(o.strict),
          includeInvalid: Boolean(o.includeInvalid),
          keepTimestamps: Boolean(o.keepTimestamps),
          keepPartitions: Boolean(o.keepPartitions),
          deploymentName: parse.settings.deploymentName,
          batchSize: 2000,
          ...(o.resumeFrom !== undefined ? { resumeFrom: parseResumeFrom(o.resumeFrom, files) } : {}),
          deliveryTimeoutMs: parseRetryFor(o.retryFor),
          // The summary is a notice about the run, not a result: a table on stderr whether piped or not.
          output: o.output ?? 'table',
        });
      }),

  async run(options, context) {
    const { io, signal } = context;
    const summary = await replayStreams(options, {
      broker: context.broker,
      stdin: io.stdin,
      log: context.log,
      progress: progressBar(io.stderr),
      signal,
      now: context.clock.now,
    });
    const presented = await presentReplaySummary(summary, options);
    if (presented.stdout) await write(io.stdout, presented.stdout);
    else if (!context.globals.quiet) await write(io.stderr, presented.stderr);
    if (signal.aborted) return 'interrupted';
    const bad = summary.malformed + summary.refused + (options.includeInvalid ? 0 : summary.invalid);
    return bad > 0 || summary.failed ? 'failure' : 'ok';
  },
};
