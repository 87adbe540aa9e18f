/**
 * thoth as a user runs it against a cluster, for the tests under test/cluster/: a machine of its
 * own (HOME, knowledge cache, the embedded broker inside it), `publish` then `investigate
 * --workflows cluster --until-idle`, and what the cache says afterwards. Also the check every
 * refusal shares: one error line saying what is wrong, one hint saying what to do, exit 1.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { cleanEnv, runThoth, type RunResult } from './cli.js';

export const INDEX = 'https://index.example/simple';
/** One solver environment: an unresolved-package message then schedules one solver workflow. */
export const ONE_SOLVER = { THOTH_SOLVERS: 'solver-rhel-8-py38' };

export interface InvestigateRun extends RunResult {
  events: Array<Record<string, unknown> & { event?: string }>;
  summary?: { counts: Record<string, number> };
}

export interface Machine {
  home: string;
  db: string;
  env: NodeJS.ProcessEnv;
  thoth(args: string[], extra?: NodeJS.ProcessEnv): Promise<RunResult>;
  /** `thoth publish` into the machine's embedded broker. */
  publish(type: string, ...args: string[]): Promise<RunResult>;
  /**
   * `thoth investigate --workflows cluster` over what was published, until idle for `idleSeconds`
   * (default 2; null: until `signal` stops it, as SIGTERM would).
   */
  investigate(args: string[], options?: { idleSeconds?: number | null; signal?: AbortSignal }): Promise<InvestigateRun>;
  /** `thoth query ... -o json`, parsed. */
  query<T>(...args: string[]): Promise<T>;
}

export function machine(extra: NodeJS.ProcessEnv = {}): Machine {
  const home = mkdtempSync(join(tmpdir(), 'thoth-machine-'));
  const db = join(home, 'thoth.db');
  const env = cleanEnv({ HOME: home, THOTH_HOME: home, THOTH_INDEX_URLS: INDEX, ...extra });
  const thoth = (args: string[], more: NodeJS.ProcessEnv = {}) => runThoth(['--db', db, ...args], { env: { ...env, ...more } });
  return {
    home,
    db,
    env,
    thoth,
    publish: (type, ...args) => thoth(['publish', type, ...args]),
    async investigate(args, options = {}) {
      const idle = options.idleSeconds === null ? [] : ['--until-idle', String(options.idleSeconds ?? 2)];
      const run = await runThoth(
        ['--db', db, 'investigate', '--workflows', 'cluster', ...idle, '--port', 'none', '-o', 'ndjson', ...args],
        {
          env,
          signal: options.signal,
        },
      );
      const events = run.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as InvestigateRun['events'][number]);
      return { ...run, events, summary: events.find((e) => e.event === 'summary') as InvestigateRun['summary'] };
    },
    async query<T>(...args: string[]) {
      const result = await thoth(['query', ...args, '-o', 'json']);
      if (result.code !== 0) throw new Error(`thoth query ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
      return JSON.parse(result.stdout) as T;
    },
  };
}

/**
 * A refusal as a person should see it: exit 1, exactly one `error:` line matching `what`, a
 * `hint:` line matching `todo` (when given), no retries and no stack trace.
 */
export function expectRefusal(result: RunResult, what: RegExp, todo?: RegExp): void {
  expect(result.code, result.stderr).toBe(1);
  const errors = result.stderr.split('\n').filter((line) => line.startsWith('error: '));
  expect(errors, result.stderr).toHaveLength(1);
  expect(errors[0]).toMatch(what);
  const hints = result.stderr.split('\n').filter((line) => line.startsWith('hint: '));
  if (todo) {
    expect(hints, result.stderr).toHaveLength(1);
    expect(hints[0]).toMatch(todo);
  }
  expect(result.stderr).not.toMatch(/retrying in|\n\s+at |please report/);
}

/** What the cache holds after a refused run: nothing applied, nothing dead-lettered, the message not taken. */
export async function expectNothingCommitted(m: Machine): Promise<void> {
  expect(await m.query('dead-letters')).toEqual([]);
  expect(await m.query('workflows')).toEqual([]);
  const stats = await m.query<{ tables: Record<string, number> }>('stats');
  // No offset committed for the group, no knowledge of the message applied.
  expect(stats.tables).toMatchObject({
    inbox: 0,
    dead_letters: 0,
    workflows: 0,
    log_group_offsets: 0,
    package_versions: 0,
    unresolved_requests: 0,
  });
}
