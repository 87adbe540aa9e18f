/**
 * What a finished run (`--from`, `--until-idle`) learned and scheduled: the
 * counts, the knowledge written to the cache, and the workflows the ledger
 * gained. Built as data; src/present/investigate.ts prints it for people,
 * and its JSON form closes the JSON-lines log.
 */
import { displayText } from '../core/quote.js';
import type { Store, WorkflowReport } from '../store/index.js';
import type { EventTally, InvestigatorEvent } from './events.js';
import type { RunOutcome } from './runner.js';

/**
 * The tally's counts under the names the JSON summary has always used
 * (scripts read them): one list, from which the summary's counts are built.
 */
const SUMMARY_COUNTS = {
  received: 'received',
  processed: 'processed',
  duplicates: 'duplicates',
  skipped: 'skipped',
  deadLetters: 'deadLetters',
  retries: 'retries',
  published: 'published',
  scheduled: 'workflowsScheduled',
  known: 'workflowsKnown',
  recorded: 'knowledgeRecorded',
} as const satisfies Partial<Record<keyof EventTally, string>>;

type SummaryCounts = { [K in keyof typeof SUMMARY_COUNTS as (typeof SUMMARY_COUNTS)[K]]: number } & { badLines: number };

export interface RunSummary {
  event: 'summary';
  source: string;
  reason: RunOutcome['reason'];
  counts: SummaryCounts;
  messagesByType: Record<string, number>;
  /** One sentence per fact written to the cache during the run: the first SUMMARY_ITEMS distinct ones. */
  learned: string[];
  /** Knowledge changes recorded during the run (learned holds the first of them). */
  learnedTotal: number;
  /** Ledger entries created during the run: the first SUMMARY_ITEMS. */
  workflows: Array<Pick<WorkflowReport, 'name' | 'kind' | 'namespace' | 'status' | 'parameters'>>;
  workflowsTotal: number;
  /** The command that lists every workflow of the run, when `workflows` does not hold them all. */
  more?: string;
  /** Totals in the cache after the run. */
  cache: { path: string; tables: Record<string, number> };
}

type Key = { packageName?: string; packageVersion?: string; indexUrl?: string };

const pkg = (key: Key | undefined) => (key ? `${key.packageName}==${key.packageVersion}${key.indexUrl ? ` (${key.indexUrl})` : ''}` : '?');

/** A knowledge change (effects.ts KnowledgeChange) in words. */
export function describeChange(change: Record<string, unknown>): string {
  const key = change.key as Key | undefined;
  switch (change.what) {
    case 'version':
      return `${pkg(key)} exists`;
    case 'solved':
      return `${pkg(key)} solved by ${String(change.solver)}${change.error ? ' (could not be resolved)' : ''}`;
    case 'unresolved':
      return `${pkg(key)} requested${change.solver ? ` for ${displayText(change.solver)}` : ''}`;
    case 'advice-wait':
      return `advice run ${String(change.adviserId)} waits on ${pkg(key)}`;
    case 'missing':
      return `${pkg(key)} ${change.missing ? 'is missing from its index' : 'is back on its index'}`;
    case 'package-missing':
      return `every version of ${String(change.packageName)} is missing from ${String(change.indexUrl)}`;
    case 'provides-source-distro':
      return `${pkg(key)} ${change.value ? 'provides' : 'provides no'} source distribution`;
    case 'hash-present':
      return `${pkg(key)}: ${(change.hashes as unknown[] | undefined)?.length ?? 0} hash(es) ${change.present ? 'present' : 'not present'} on the index`;
    case 'cve':
      return `${pkg(key)} has a CVE notice`;
    case 'security-indicators':
      return `${pkg(key)} security indicators ${String(change.state)}`;
    case 'security-indicators-requested':
      return `${pkg(key)} security indicators asked for`;
    case 'advice-re-run':
      return `advice run ${String(change.adviserId)} re-run (${String(change.recommendationType)})`;
    default:
      return JSON.stringify(change);
  }
}

/** The sentence for a 'recorded' event, whatever shape the executor gave its detail. */
export function learnedFrom(event: InvestigatorEvent): string {
  const change = (event.change ?? event) as Record<string, unknown>;
  if (typeof change.what === 'string') return describeChange(change);
  if (typeof event.description === 'string') return event.description;
  const { ts: _ts, event: _e, topic: _t, partition: _p, offset: _o, type: _ty, ...rest } = event;
  return JSON.stringify(rest);
}

function summaryCounts(tally: EventTally, badLines: number): SummaryCounts {
  const names = Object.keys(SUMMARY_COUNTS) as Array<keyof typeof SUMMARY_COUNTS>;
  // Built from the list, in its order, badLines last: the JSON summary's field order stays as it was.
  return Object.fromEntries([...names.map((name) => [SUMMARY_COUNTS[name], tally[name]]), ['badLines', badLines]]) as SummaryCounts;
}

/** How many learned sentences and workflows a summary lists: the rest are counted (memory stays bounded at any backlog). */
export const SUMMARY_ITEMS = 100;

/** Distinct sentences told apart at most; past them every further 'recorded' event counts as one more. */
const DISTINCT_TRACKED = 10_000;

/** The first `limit` distinct sentences of the run's 'recorded' events, and how many distinct ones there were (bounded memory). */
export function learnedCollector(limit = SUMMARY_ITEMS): { add(event: InvestigatorEvent): void; sentences(): string[]; total(): number } {
  const seen = new Set<string>();
  const first: string[] = [];
  let beyond = 0;
  return {
    add: (event) => {
      if (event.event !== 'recorded') return;
      if (seen.size >= DISTINCT_TRACKED) return void beyond++;
      const sentence = learnedFrom(event);
      if (seen.has(sentence)) return;
      seen.add(sentence);
      if (first.length < limit) first.push(sentence);
    },
    sentences: () => [...first],
    total: () => seen.size + beyond,
  };
}

export function buildSummary(outcome: RunOutcome, store: Store, learned: string[], learnedTotal = learned.length): RunSummary {
  const t = outcome.tally;
  const workflows = store
    .workflowsReport({ since: outcome.startedAt, limit: SUMMARY_ITEMS })
    .map(({ name, kind, namespace, status, parameters }) => ({ name, kind, namespace, status, parameters }));
  const workflowsTotal = workflows.length < SUMMARY_ITEMS ? workflows.length : store.workflowsCount({ since: outcome.startedAt });
  return {
    event: 'summary',
    source: outcome.source,
    reason: outcome.reason,
    counts: summaryCounts(t, outcome.badLines),
    messagesByType: t.byType,
    learned,
    learnedTotal: Math.max(learnedTotal, learned.length),
    workflows,
    workflowsTotal,
    ...(workflowsTotal > workflows.length ? { more: `thoth query workflows --since ${outcome.startedAt}` } : {}),
    cache: { path: store.path, tables: store.stats().tables },
  };
}
