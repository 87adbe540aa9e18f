/**
 * The investigator's Prometheus metrics, under upstream's names (SPEC §3), in
 * a small in-process registry rendered as the text exposition format. No
 * client library: counters and gauges with labels are all this needs.
 */

export type MetricKind = 'counter' | 'gauge';
export type Labels = Record<string, string>;

export const METRIC = {
  processed: 'thoth_investigator_processed_total',
  exceptions: 'thoth_investigator_exceptions_total',
  failures: 'thoth_investigator_failures_total',
  scheduledWorkflows: 'thoth_investigator_scheduled_workflows_total',
  deadLetters: 'thoth_investigator_dead_letters_total',
  inProgress: 'thoth_investigator_in_progress',
  haltedTopics: 'thoth_investigator_halted_topics',
  consumerLag: 'thoth_investigator_consumer_lag',
  knowledgeCaughtUp: 'thoth_investigator_knowledge_caught_up',
  knowledgeLag: 'thoth_investigator_knowledge_lag',
  knowledgeUnreadable: 'thoth_investigator_knowledge_unreadable_total',
  decisions: 'thoth_investigator_decisions_total',
} as const;

const HELP: Record<string, { kind: MetricKind; help: string }> = {
  [METRIC.processed]: { kind: 'counter', help: 'Messages processed successfully, by message type.' },
  [METRIC.exceptions]: { kind: 'counter', help: 'Unexpected errors while processing a message, by message type.' },
  [METRIC.failures]: { kind: 'counter', help: 'Messages that could not be processed and went to the dead-letter topic.' },
  [METRIC.scheduledWorkflows]: { kind: 'counter', help: 'Workflows scheduled, by message type and workflow type.' },
  [METRIC.deadLetters]: { kind: 'counter', help: 'Dead letters written, by error class.' },
  [METRIC.inProgress]: { kind: 'gauge', help: 'Messages being processed right now.' },
  [METRIC.haltedTopics]: { kind: 'gauge', help: 'Topics halted through /halt/<topic> or by back-pressure.' },
  [METRIC.consumerLag]: { kind: 'gauge', help: 'Records not yet consumed, by topic and partition.' },
  [METRIC.knowledgeCaughtUp]: {
    kind: 'gauge',
    help: 'Whether the knowledge topic was read up to its end before consuming (1) or is still being read (0).',
  },
  [METRIC.knowledgeLag]: { kind: 'gauge', help: 'Knowledge records still to read to reach the end of the knowledge topic.' },
  [METRIC.knowledgeUnreadable]: { kind: 'counter', help: 'Knowledge records this thoth could not read (skipped).' },
  [METRIC.decisions]: { kind: 'counter', help: 'Decision triggers handled, by outcome (taken, not-due).' },
};

interface Series {
  labels: Labels;
  value: number;
}

interface Family {
  kind: MetricKind;
  help: string;
  series: Map<string, Series>;
}

export interface Sample {
  name: string;
  labels: Labels;
  value: number;
}

export interface Metrics {
  inc(name: string, labels?: Labels, by?: number): void;
  set(name: string, labels: Labels, value: number): void;
  /** The executor's hook: counters add, gauges add too (advise-justification adds `count`). */
  count(name: string, labels: Labels, value: number, kind: MetricKind): void;
  value(name: string, labels?: Labels): number;
  /** Prometheus text; `extra` adds samples computed at scrape time (consumer lag). */
  render(extra?: Sample[]): string;
}

/**
 * At most this many series per metric (the last one "other"): past it, a new combination of labels is
 * counted under every label "other", so that no stream of messages can grow
 * the registry (or Prometheus) without bound.
 */
export const MAX_SERIES_PER_METRIC = 500;

/** A series' key: its labels sorted by name (most have one label: counted on every record, without sorting). */
const labelKey = (labels: Labels) => {
  const names = Object.keys(labels);
  if (names.length === 1) return `${names[0]}=${labels[names[0]]}`;
  return names
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join('\u0000');
};

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function formatSample(name: string, labels: Labels, value: number): string {
  const names = Object.keys(labels).sort();
  const text = names.length ? `{${names.map((k) => `${k}="${escapeLabel(labels[k])}"`).join(',')}}` : '';
  return `${name}${text} ${Number.isFinite(value) ? value : 0}`;
}

export function createMetrics(): Metrics {
  const families = new Map<string, Family>();
  const family = (name: string, kind: MetricKind): Family => {
    let f = families.get(name);
    if (!f) {
      f = { kind: HELP[name]?.kind ?? kind, help: HELP[name]?.help ?? name.replace(/_/g, ' '), series: new Map() };
      families.set(name, f);
    }
    return f;
  };
  /** The labels a new series gets: its own while there is room, else every value "other". */
  const room = (series: Map<string, Series>, labels: Labels): Labels =>
    series.size < MAX_SERIES_PER_METRIC - 1 ? labels : Object.fromEntries(Object.keys(labels).map((k) => [k, 'other']));
  const add = (name: string, labels: Labels, by: number, kind: MetricKind) => {
    const series = family(name, kind).series;
    const s = series.get(labelKey(labels));
    if (s) {
      s.value += by;
      return;
    }
    const kept = room(series, labels);
    const folded = series.get(labelKey(kept));
    if (folded) folded.value += by;
    else series.set(labelKey(kept), { labels: { ...kept }, value: by });
  };
  // Unlabelled families show up as 0 before anything happens, as Prometheus clients do.
  for (const name of [METRIC.inProgress, METRIC.haltedTopics]) add(name, {}, 0, 'gauge');

  return {
    inc: (name, labels = {}, by = 1) => add(name, labels, by, 'counter'),
    set: (name, labels, value) => {
      const series = family(name, 'gauge').series;
      const kept = series.has(labelKey(labels)) ? labels : room(series, labels);
      series.set(labelKey(kept), { labels: { ...kept }, value });
    },
    count: (name, labels, value, kind) => add(name, labels, value, kind),
    value: (name, labels = {}) => families.get(name)?.series.get(labelKey(labels))?.value ?? 0,
    render: (extra = []) => {
      const lines: string[] = [];
      const byName = new Map<string, Sample[]>();
      for (const sample of extra) byName.set(sample.name, [...(byName.get(sample.name) ?? []), sample]);
      const names = new Set([...families.keys(), ...byName.keys()]);
      for (const name of [...names].sort()) {
        const f = families.get(name);
        const kind = f?.kind ?? HELP[name]?.kind ?? 'gauge';
        lines.push(`# HELP ${name} ${f?.help ?? HELP[name]?.help ?? name}`, `# TYPE ${name} ${kind}`);
        for (const s of f?.series.values() ?? []) lines.push(formatSample(name, s.labels, s.value));
        for (const s of byName.get(name) ?? []) lines.push(formatSample(name, s.labels, s.value));
      }
      return `${lines.join('\n')}\n`;
    },
  };
}
