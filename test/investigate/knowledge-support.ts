/**
 * Shared by the tests of knowledge kept in Kafka (knowledge*.int.test.ts):
 * recorded lines with headers, what a cache knows as `thoth query … -o json`
 * shows it (times left out: every replica learns at its own moment), and the
 * adviser re-runs a deployment published, read back with kcat
 * (read_committed, as every consumer of an investigator's output must read).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runThoth } from '../support/cli.js';
import { kcatConsume } from '../support/kafka.js';
import { INDEX, replayLines } from './investigator-process.js';

export const SOLVER = 'solver-rhel-8-py38';

export function line(topic: string, fields: Record<string, unknown>, key: string | null, headers: Record<string, string> = {}): string {
  return JSON.stringify({
    topic,
    key,
    headers,
    value: { component_name: 'test', service_version: '1.0.0', version: 'v1', ...fields },
    timestamp: 1700000000000,
  });
}

export const unresolvedLine = (name: string, version: string, adviserId?: string, solver: string | null = SOLVER) =>
  line(
    'thoth.investigator.unresolved-package',
    { package_name: name, package_version: version, index_url: INDEX, solver },
    `${name}==${version}`,
    adviserId ? { 'thoth-adviser-id': adviserId, 'thoth-recommendation-type': 'stable' } : {},
  );

export const solvedLine = (name: string, version: string, solver = SOLVER) =>
  line('thoth.solver.solved-package', { package_name: name, package_version: version, index_url: INDEX, solver }, `${name}==${version}`);

/** Publishes the lines with `thoth replay` (through a file in `dir`). */
export async function publishLines(dir: string, lines: string[], env: NodeJS.ProcessEnv, name = 'stream'): Promise<void> {
  const file = join(dir, `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}.ndjson`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  await replayLines(file, env, join(dir, 'replay.db'));
}

export async function queryJson(db: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<unknown> {
  const result = await runThoth(['--db', db, 'query', ...args, '-o', 'json'], { env });
  if (result.code !== 0) throw new Error(`thoth query ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as unknown;
}

const TIMES = new Set(['first_seen', 'last_seen', 'at', 'created_at', 're_run_published_at', 'solved_at', 'updated_at']);

/** The value without its times (null stays null: "not yet" is knowledge) and without the workflows' sources (positions differ per run). */
export function withoutTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimes);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== 'source')
      // CVE notices are listed by the time each was received: their number is what replicas share.
      .map(([k, v]) => [
        k,
        TIMES.has(k) && v !== null ? '<time>' : k === 'cve_notices' && Array.isArray(v) ? v.map(() => '<time>') : withoutTimes(v),
      ]),
  );
}

const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));

/**
 * What the cache knows, as the queries show it: every package (its versions, solver results, flags,
 * requests, waiting advice), the workflow ledger, and the lists. Listing order is arrival order,
 * which differs between replicas: lists are compared as sets.
 */
export async function knowledgeOf(db: string, env: NodeJS.ProcessEnv, packages: string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const name of packages) {
    const report = (await queryJson(db, env, 'package', name)) as { versions: unknown[]; workflows: unknown[] };
    out[`package ${name}`] = { versions: withoutTimes(report.versions) as unknown[], workflows: report.workflows.length };
    (out[`package ${name}`] as { versions: unknown[] }).versions.sort(byJson);
  }
  for (const list of ['workflows', 'missing', 'si-unanalyzed', 'unsolved']) {
    out[list] = (withoutTimes(await queryJson(db, env, list)) as unknown[]).sort(byJson);
  }
  out.unresolved = (withoutTimes(await queryJson(db, env, 'unresolved', '--all')) as unknown[]).sort(byJson);
  return out;
}

/** The adviser ids of the re-runs the deployment's topic holds, committed ones only. */
export async function reRunsOf(deployment: string): Promise<string[]> {
  const records = await kcatConsume(`${deployment}.thoth.investigator.adviser-re-run`, 30_000).catch((error: Error) => {
    if (/Unknown topic|not available/i.test(error.message)) return [];
    throw error;
  });
  return records.map((r) => (JSON.parse(r.payload ?? '{}') as { re_run_adviser_id: string }).re_run_adviser_id).sort();
}
