/**
 * Decisions that need several facts (SPEC §5.1): the adviser re-run of an
 * advice run once every version it waits on is solved, and security
 * indicators for a version that is solved (or asked for) and neither missing
 * nor without a source distribution. They are driven by facts, not by the
 * message that brought the last one: the facts a decision needs may be
 * written by different replicas at the same moment, each unaware of the
 * other's, but every replica's changelog reader sees every fact, in order,
 * eventually. So whenever a replica applies facts that, as its cache now
 * stands, complete a decision not yet taken, it produces a trigger to the
 * decisions topic, keyed by the decision (`advice:<adviser id>`,
 * `si:<index>/<name>/<version>`). The topic is consumed by the investigator's
 * group: exactly one replica owns each key's partition, handles its triggers
 * one after the other, re-evaluates each on a cache caught up with the
 * knowledge the trigger names, and when still due takes it in ONE transaction
 * (src/investigate/decide.ts). Triggers are produced only by the replica that
 * owns the key's partition, plus a scan of pending decisions whenever a
 * replica gains decisions partitions: a trigger more is harmless (the
 * decision is taken once), a trigger less is what the scan is for.
 */
import { PermanentError } from '../core/errors.js';
import type { VersionRef } from '../facts/facts.js';
import type { Store } from '../store/index.js';
import type { Touched } from '../store/projection.js';
import type { PackageKey, SourceRef } from '../store/types.js';
import type { InvestigatorConfig } from '../config/investigator.js';
import { record, schedule, type Effect } from './effects.js';
import { securityIndicatorsRequest } from './handlers/requests.js';

export const DECISIONS_BASE_TOPIC = 'thoth.investigator.decisions';

/** The format of a trigger's value this thoth writes and reads. */
const TRIGGER_FORMAT = 1;

export type Decision = { kind: 'advice'; adviserId: string } | { kind: 'security-indicators'; version: VersionRef };

export function decisionKey(decision: Decision): string {
  if (decision.kind === 'advice') return `advice:${decision.adviserId}`;
  const v = decision.version;
  return `si:${v.indexUrl}/${v.packageName}/${v.packageVersion}`;
}

/** The decision a key names; index URLs hold '/', names and versions never do, so the key is read from the right. */
export function parseDecisionKey(key: string): Decision | undefined {
  if (key.startsWith('advice:') && key.length > 'advice:'.length) return { kind: 'advice', adviserId: key.slice('advice:'.length) };
  if (!key.startsWith('si:')) return undefined;
  const rest = key.slice(3);
  const v = rest.lastIndexOf('/');
  const n = rest.lastIndexOf('/', v - 1);
  if (n <= 0 || v <= n + 1 || v === rest.length - 1) return undefined;
  return {
    kind: 'security-indicators',
    version: { indexUrl: rest.slice(0, n), packageName: rest.slice(n + 1, v), packageVersion: rest.slice(v + 1) },
  };
}

export interface Trigger {
  decision: string;
  /** Next offset per knowledge partition the producer had read: the owner reads at least as far first. */
  knowledge: Map<number, number>;
}

export function triggerValue(decision: string, knowledge: ReadonlyMap<number, number>): string {
  return JSON.stringify({ v: TRIGGER_FORMAT, decision, knowledge: Object.fromEntries(knowledge) });
}

export const UNREADABLE_TRIGGER = 'UnreadableTrigger';

export function decodeTrigger(value: string | null): Trigger {
  let body: unknown;
  try {
    body = JSON.parse(value ?? '');
  } catch {
    throw new PermanentError(UNREADABLE_TRIGGER, 'the decision trigger is not JSON');
  }
  const b = body as { v?: unknown; decision?: unknown; knowledge?: unknown } | null;
  if (typeof b !== 'object' || b === null || !Number.isInteger(b.v))
    throw new PermanentError(UNREADABLE_TRIGGER, 'the decision trigger has no format `v`');
  if ((b.v as number) > TRIGGER_FORMAT)
    throw new PermanentError(UNREADABLE_TRIGGER, `the decision trigger was written by a newer thoth (v${String(b.v)})`);
  if (typeof b.decision !== 'string' || !parseDecisionKey(b.decision))
    throw new PermanentError(UNREADABLE_TRIGGER, 'the decision trigger names no decision');
  const knowledge = new Map<number, number>();
  if (typeof b.knowledge === 'object' && b.knowledge !== null)
    for (const [p, o] of Object.entries(b.knowledge as Record<string, unknown>))
      if (Number.isInteger(o)) knowledge.set(Number(p), o as number);
  return { decision: b.decision, knowledge };
}

export type DecisionView = Pick<
  Store,
  | 'adviceRun'
  | 'adviceRunIdsWaitingOn'
  | 'adviceReRunPublished'
  | 'adviceRunUnsolved'
  | 'adviceRunsWithoutReRun'
  | 'workflowsInFlight'
  | 'solversLacking'
  | 'securityIndicatorsFacts'
  | 'securityIndicatorsCandidates'
>;

export type Verdict = { due: true; effects: Effect[] } | { due: false; reason: string };

/**
 * A version an advice run waits on is solved once it has a solver result and
 * every solver workflow still in flight for it has reported: a request that
 * named one solver waits for that one, a request for all waits for all; a
 * solver workflow that failed is not waited for.
 */
function solvedForAdvice(view: DecisionView, version: PackageKey & { solved: boolean }): boolean {
  if (!version.solved) return false;
  const inFlight = view.workflowsInFlight('solver', version).map((entry) => entry.parameters.THOTH_SOLVER_NAME ?? '');
  return view.solversLacking(version, inFlight.filter(Boolean)).length === 0;
}

/** Why security indicators must not be scheduled for the version, or null when they should be. */
export function securityIndicatorsBlocker(view: DecisionView, key: PackageKey): string | null {
  const { wanted, missing, providesSourceDistro, state } = view.securityIndicatorsFacts(key);
  if (!wanted) return 'nothing asks for them (no solver result, no si-unanalyzed-package)';
  if (missing) return 'the version is flagged missing';
  if (providesSourceDistro === false) return 'the version provides no source distribution';
  if (state === 'done') return 'security indicators are known';
  if (state === 'failed') return 'security indicators failed before';
  if (state === 'scheduled' || view.workflowsInFlight('security-indicators', key).length > 0) return 'security indicators are in flight';
  return null;
}

/** Whether the decision is due as the cache stands, and what taking it means. */
export function evaluate(view: DecisionView, config: Pick<InvestigatorConfig, 'schedule'>, key: string, source: SourceRef | null): Verdict {
  const decision = parseDecisionKey(key);
  if (!decision) return { due: false, reason: 'not a decision' };
  if (decision.kind === 'advice') {
    // Asked first, in one row: a run taken is evaluated again for every fact about it, and it may wait on thousands.
    const published = view.adviceReRunPublished(decision.adviserId);
    if (published === undefined) return { due: false, reason: 'no such advice run' };
    if (published) return { due: false, reason: 'its re-run was published' };
    // One version without a result keeps it waiting, whatever the others are.
    const unsolved = view.adviceRunUnsolved(decision.adviserId);
    if (unsolved) return { due: false, reason: `it waits on ${unsolved.packageName}==${unsolved.packageVersion}` };
    const run = view.adviceRun(decision.adviserId, []);
    if (!run) return { due: false, reason: 'no such advice run' };
    if (run.waitingOn.length === 0) return { due: false, reason: 'it waits on nothing yet' };
    const inFlight = run.waitingOn.find((version) => !solvedForAdvice(view, version));
    if (inFlight) return { due: false, reason: `it waits on ${inFlight.packageName}==${inFlight.packageVersion}` };
    return {
      due: true,
      effects: [
        {
          type: 'publish',
          messageType: 'adviser-re-run',
          message: { re_run_adviser_id: run.adviserId, recommendation_type: run.recommendationType },
          key: run.adviserId,
          headers: {},
        },
        record({ what: 'advice-re-run', adviserId: run.adviserId, recommendationType: run.recommendationType }),
      ],
    };
  }
  const version = decision.version;
  if (!config.schedule.security) return { due: false, reason: 'scheduling security indicators is off' };
  const blocker = securityIndicatorsBlocker(view, version);
  if (blocker) return { due: false, reason: blocker };
  return {
    due: true,
    effects: [
      schedule(
        securityIndicatorsRequest(version, source),
        `no security indicators for ${version.packageName}==${version.packageVersion}`,
        'decision',
      ),
      record({ what: 'security-indicators', key: version, state: 'scheduled' }),
    ],
  };
}

/** The decisions facts about these things may complete. */
export function decisionsTouched(view: DecisionView, touched: Touched): string[] {
  const keys = new Set<string>();
  for (const version of touched.versions) {
    keys.add(decisionKey({ kind: 'security-indicators', version }));
    for (const adviserId of view.adviceRunIdsWaitingOn(version)) keys.add(decisionKey({ kind: 'advice', adviserId }));
  }
  for (const adviserId of touched.adviserIds) keys.add(decisionKey({ kind: 'advice', adviserId }));
  return [...keys];
}

/** Every decision that may be pending: advice runs without a re-run, versions that want security indicators. */
export function pendingDecisions(view: DecisionView): string[] {
  return [
    ...view.adviceRunsWithoutReRun().map((adviserId) => decisionKey({ kind: 'advice', adviserId })),
    ...view.securityIndicatorsCandidates().map((version) => decisionKey({ kind: 'security-indicators', version })),
  ];
}
