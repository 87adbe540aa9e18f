/**
 * `thoth replay <file.ndjson>...`: publish a recorded stream (SPEC §7 lines
 * or kcat -J lines), with a progress bar on a terminal and a summary.
 */
import type { Command } from 'commander';
import type { Deps } from '../cli/deps.js';
import { checkedDeploymentName } from '../cli/deployment.js';
import { EXIT, UsageError } from '../cli/errors.js';
import { write } from '../cli/io.js';
import { outputFormat } from '../cli/output.js';
import { renderGrid } from '../ui/table.js';
import { renderOutput } from '../ui/table.js';
import { replayStreams, type Pace, type ReplayPlan, type ReplaySummary } from '../streams/replay-run.js';
import { progressBar } from '../ui/progress.js';
import type { CommandModule, Invocation } from './types.js';

const FORMATS = ['table', 'json', 'yaml'] as const;

export interface ReplayOptions extends ReplayPlan {
  output: (typeof FORMATS)[number];
}

function parsePace(rate: unknown, speed: unknown): Pace {
  if (rate !== undefined && speed !== undefined) throw new UsageError('--rate and --speed cannot be used together');
  if (rate !== undefined) {
    const match = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(String(rate));
    if (!match || Number(match[1]) <= 0) throw new UsageError(`--rate expects messages per second like 100 or 100/s, got ${JSON.stringify(rate)}`);
    return { kind: 'rate', perSecond: Number(match[1]) };
  }
  if (speed !== undefined) {
    const factor = Number(speed);
    if (!/^\d+(\.\d+)?$/.test(String(speed)) || !(factor > 0)) throw new UsageError(`--speed expects a positive factor like 1, 10 or 0.5, got ${JSON.stringify(speed)}`);
    return { kind: 'speed', factor };
  }
  return { kind: 'asap' };
}

export function replayOptions(invocation: Invocation, deps: Pick<Deps, 'globals' | 'env'>): ReplayOptions {
  const o = invocation.options;
  const files = (invocation.operands[0] as string[] | undefined) ?? [];
  if (files.length === 0) throw new UsageError('name at least one recorded stream (a file, or - for stdin)');
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('stdin (-) can be read only once');
  return {
    files,
    pace: parsePace(o.rate, o.speed),
    validateOnly: Boolean(o.validateOnly),
    strict: Boolean(o.strict),
    includeInvalid: Boolean(o.includeInvalid),
    keepTimestamps: Boolean(o.keepTimestamps),
    deploymentName: checkedDeploymentName(deps.globals, deps.env),
    batchSize: 500,
    output: outputFormat(o.output, FORMATS, { tty: 'table', piped: 'table' }, false),
  };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What was sent, and what was not: invalid lines sent with --include-invalid are counted as sent, not as skipped. */
function sentLine(summary: ReplaySummary, includeInvalid: boolean): string {
  const seconds = (summary.elapsedMs / 1000).toFixed(1);
  const invalidSent = includeInvalid ? Math.min(summary.invalid, summary.sent) : 0;
  const within = invalidSent > 0 ? ` (${invalidSent} of them invalid, sent as --include-invalid asked)` : '';
  const skipped = [...(includeInvalid ? [] : [`${summary.invalid} invalid`]), plural(summary.malformed, 'malformed line')];
  const sent = summary.interrupted
    ? `interrupted: sent ${summary.sent} of ${summary.totalLines === undefined ? `the ${summary.read + summary.malformed} lines read` : plural(summary.totalLines, 'line')}`
    : `sent ${plural(summary.sent, 'message')}`;
  return `${sent} in ${seconds}s${within}; skipped ${skipped.join(' and ')}`;
}

export function presentSummary(summary: ReplaySummary, options: Pick<ReplayPlan, 'validateOnly' | 'includeInvalid'>): string {
  const checked = summary.read + summary.malformed;
  const head = options.validateOnly
    ? `${summary.interrupted ? `interrupted: checked ${checked}${summary.totalLines === undefined ? '' : ` of ${summary.totalLines}`}` : `checked ${checked}`} lines: ${summary.read - summary.invalid} valid, ${summary.invalid} invalid, ${summary.malformed} malformed`
    : sentLine(summary, options.includeInvalid);
  const stopped = summary.stopped ? '\nstopped at the first bad line (--strict)' : '';
  const rows = Object.entries(summary.topics).map(([topic, n]) => [topic, String(n)]);
  return `${head}${stopped}\n${rows.length ? renderGrid(['TOPIC', options.validateOnly ? 'VALID' : 'SENT'], rows) : ''}`;
}

export async function runReplay(options: ReplayOptions, deps: Deps): Promise<number> {
  const summary = await replayStreams(options, {
    broker: deps.broker,
    stdin: deps.io.stdin,
    log: deps.log,
    progress: progressBar(deps.io.stderr),
    signal: deps.signal,
    now: deps.now,
  });
  // The summary is a notice about the run, not a result: stderr, unless asked for as JSON.
  if (options.output !== 'table') await write(deps.io.stdout, await renderOutput(summary, options.output));
  else if (!deps.globals.quiet) await write(deps.io.stderr, presentSummary(summary, options));
  if (deps.signal.aborted) return EXIT.interrupted;
  const bad = summary.malformed + (options.includeInvalid ? 0 : summary.invalid);
  return bad > 0 ? EXIT.failure : EXIT.ok;
}

export const replayCommand: CommandModule = {
  configure(command: Command) {
    command
      .argument('[files...]', 'recorded streams: SPEC §7 lines (what `thoth tail -o ndjson` prints) or kcat -J lines; - for stdin')
      .option('--rate <n/s>', 'send at most n messages per second')
      .option('--speed <x>', 'honour the recorded timestamps, gaps divided by x (1 = real time, 10 = ten times faster)')
      .option('--validate-only', 'check every line and report, send nothing (exit 1 if any line is bad)')
      .option('--strict', 'stop at the first bad line (default: report it and go on)')
      .option('--include-invalid', 'send messages that fail validation as recorded (e.g. to exercise the dead-letter path)')
      .option('--keep-timestamps', 'send with the recorded timestamps (default: the broker\'s clock)')
      .option('-o, --output <format>', 'summary as a table on stderr (default), or as a json | yaml document on stdout')
      .addHelpText(
        'after',
        `
Topics: a base topic (thoth.solver.solved-package) gets the deployment prefix
(--deployment-name, else THOTH_DEPLOYMENT_NAME); a recorded full topic of the catalogue
moves to that deployment when one is set, else is replayed as recorded; any other topic
is replayed as recorded, unchecked. Keys, headers and bodies are sent as recorded (a kcat
payload byte for byte). Bad lines are reported with file:line and skipped; exit 1 if any.

Examples:
  $ thoth replay fixtures/streams/continuous-learning.ndjson
  $ thoth tail --all --exit-at-end -o ndjson | thoth replay - --deployment-name staging
  $ thoth replay recorded.ndjson --speed 10
  $ kcat -C -b 127.0.0.1:9092 -t thoth.solver.solved-package -J -e | thoth replay - --rate 100/s
  $ thoth replay fixtures/streams/*.ndjson --validate-only`,
      );
  },
  async run(invocation, deps) {
    return runReplay(replayOptions(invocation, deps), deps);
  },
};
