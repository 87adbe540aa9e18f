/**
 * `thoth trace NAME[==VERSION]`: a package version's story, in time order, from
 * what the cache holds: when it was first seen and requested, the workflows
 * scheduled for it (with the message that caused each and the phase the ledger
 * knows), the knowledge recorded (solver results, CVE notices), the advice runs
 * waiting on it and their re-run, and the dead letters that name it. Built on
 * the store's reports (packageReport, deadLetters), so that it follows them
 * when knowledge moves elsewhere.
 */
import type { DeadLetterEntry, PackageReport, Store } from '../store/index.js';
import { normalizePackageName } from '../store/index.js';

export type TraceKind = 'message' | 'knowledge' | 'workflow' | 'advice' | 'dead-letter';

export interface TraceEvent {
  at: string;
  kind: TraceKind;
  version: string;
  text: string;
  /** Where the message behind it was (topic, partition, offset), when known. */
  source?: { topic: string; partition: number; offset: number };
}

export interface Trace {
  package: string;
  version: string | null;
  events: TraceEvent[];
}

const shortTopic = (topic: string) => topic.split('.').pop() ?? topic;
const where = (s: { topic: string; partition: number; offset: number }) => `${shortTopic(s.topic)}[${s.partition}]@${s.offset}`;

function fromReport(report: PackageReport): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (const v of report.versions) {
    const version = v.version;
    events.push({ at: v.first_seen, kind: 'knowledge', version, text: `version known on ${v.index_url}` });
    for (const r of v.requests)
      events.push({
        at: r.first_seen,
        kind: 'message',
        version,
        text: `requested${r.solver ? ` for ${r.solver}` : ''} (${r.count} time${r.count === 1 ? '' : 's'}, last ${r.last_seen})`,
      });
    for (const s of v.solvers)
      events.push({
        at: s.at,
        kind: 'knowledge',
        version,
        text: s.status === 'solved' ? `solved by ${s.solver}` : `${s.solver} could not resolve it`,
      });
    for (const at of v.cve_notices) events.push({ at, kind: 'knowledge', version, text: 'CVE notice received' });
    if (v.is_missing) events.push({ at: v.first_seen, kind: 'knowledge', version, text: `flagged missing from ${v.index_url}` });
    for (const a of v.advice_waiting) {
      events.push({ at: v.first_seen, kind: 'advice', version, text: `advice run ${a.adviser_id} (${a.recommendation_type}) waits on it` });
      if (a.re_run_published_at)
        events.push({ at: a.re_run_published_at, kind: 'advice', version, text: `adviser re-run of ${a.adviser_id} published` });
    }
  }
  const messages = new Set<string>();
  for (const w of report.workflows) {
    const version =
      w.parameters.THOTH_SOLVER_PACKAGES?.split('===')[1] ??
      Object.entries(w.parameters).find(([k]) => k.endsWith('PACKAGE_VERSION'))?.[1] ??
      '';
    // One line per message, however many workflows it caused.
    if (w.source && !messages.has(where(w.source))) {
      messages.add(where(w.source));
      events.push({ at: w.created_at, kind: 'message', version, text: `message ${where(w.source)}`, source: w.source });
    }
    events.push({
      at: w.created_at,
      kind: 'workflow',
      version,
      text: `${w.kind} ${w.name} in ${w.namespace}: ${w.status}${w.source ? ` (decided on ${where(w.source)})` : ' (submitted by hand)'}`,
      ...(w.source ? { source: w.source } : {}),
    });
  }
  return events;
}

/** The dead letters whose value names the package (and version). */
function namedIn(letter: DeadLetterEntry, name: string, version: string | undefined): string | undefined {
  const value = letter.value as Record<string, unknown> | null;
  if (!value || typeof value !== 'object' || typeof value.package_name !== 'string') return undefined;
  if (normalizePackageName(value.package_name) !== name) return undefined;
  const v = typeof value.package_version === 'string' ? value.package_version : '';
  return version === undefined || v === version ? v : undefined;
}

export function traceOf(
  store: Pick<Store, 'packageReport' | 'deadLetters'>,
  spec: { name: string; version?: string },
  solvers: readonly string[],
): Trace {
  const name = normalizePackageName(spec.name);
  const events = fromReport(store.packageReport(name, spec.version, [...solvers]));
  if (spec.version !== undefined) {
    // A package-level workflow list: keep those of this version.
    for (let i = events.length - 1; i >= 0; i--) if (events[i].version !== spec.version && events[i].version !== '') events.splice(i, 1);
  }
  for (const letter of store.deadLetters()) {
    const version = namedIn(letter, name, spec.version);
    if (version === undefined) continue;
    events.push({
      at: letter.created_at,
      kind: 'dead-letter',
      version,
      text: `dead letter ${letter.id}: ${letter.error_class}: ${letter.reason}${letter.redrives.length ? ` (re-driven ${letter.redrives.length}x)` : ''}`,
      source: { topic: letter.topic, partition: letter.partition, offset: letter.offset },
    });
  }
  events.sort((a, b) => a.at.localeCompare(b.at) || order(a.kind) - order(b.kind));
  return { package: name, version: spec.version ?? null, events };
}

/** Within one instant, the message before the decision it caused. */
const order = (kind: TraceKind) => ['message', 'dead-letter', 'workflow', 'knowledge', 'advice'].indexOf(kind);

/** A stable identity per event, so that --follow prints only what is new. */
export const traceEventKey = (e: TraceEvent) => `${e.at}\u0000${e.kind}\u0000${e.version}\u0000${e.text}`;
