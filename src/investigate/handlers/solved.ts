/**
 * solved-package and si-unanalyzed-package (SPEC §3): record what a solver
 * learnt, then schedule security indicators once per version; and close the
 * loop of SPEC §1 by re-running the advice that waited on this knowledge.
 *
 * The re-run itself is decided by the executor (effect `release-advice`),
 * inside the transaction that records the result.
 *
 * SI fails only once: a version flagged missing or without a source
 * distribution (the flags SI's own failure publishes) is never analysed again.
 */
import type { PackageKey } from '../../store/types.js';
import { record, schedule, type Effect } from '../effects.js';
import { checkedSolver, packageKeyOf, requireField, type Handler, type HandlerInput, type KnowledgeView } from './common.js';
import { kebechetAdministratorRequest, securityIndicatorsRequest } from './requests.js';

/** Why SI must not be scheduled for the version, or null when it should be. */
export function securityIndicatorsBlocker(view: KnowledgeView, key: PackageKey): string | null {
  if (view.isMissing(key)) return 'the version is flagged missing';
  if (view.providesSourceDistro(key) === false) return 'the version provides no source distribution';
  const state = view.securityIndicatorState(key);
  if (state === 'done') return 'security indicators are known';
  if (state === 'failed') return 'security indicators failed before';
  if (state === 'scheduled' || view.workflowsInFlight('security-indicators', key).length > 0) return 'security indicators are in flight';
  return null;
}

function learnAboutSecurity(input: HandlerInput, key: PackageKey): Effect[] {
  if (!input.config.schedule.security || securityIndicatorsBlocker(input.view, key) !== null) return [];
  return [
    schedule(
      securityIndicatorsRequest(key, input.source),
      `no security indicators for ${key.packageName}==${key.packageVersion}`,
      input.typeName,
    ),
    record({ what: 'security-indicators', key, state: 'scheduled' }),
  ];
}

/**
 * The solver only has to be a well-formed solver name, not one of THOTH_SOLVERS:
 * a result is a fact about the package (SPEC §3: "record ... as solved"), and a
 * solver dropped from THOTH_SOLVERS while its workflow ran still reports back.
 * Dead-lettering it would throw away knowledge a workflow paid for. Scheduling
 * asks solversLacking about the configured solvers only, so such a result never
 * stops a configured solver from being scheduled.
 */
export const solvedPackage: Handler = (input) => {
  const key = packageKeyOf(input);
  const solver = checkedSolver(requireField(input.message, 'solver', input.typeName));
  const effects: Effect[] = [record({ what: 'version', key }), record({ what: 'solved', key, solver }), ...learnAboutSecurity(input, key)];
  if (input.config.schedule.kebechetAdministrator) {
    effects.push(
      schedule(
        kebechetAdministratorRequest({ ...key, solver }, input.baseTopic, input.source),
        `${key.packageName} was solved`,
        input.typeName,
      ),
    );
  }
  effects.push({ type: 'release-advice', key });
  return effects;
};

export const siUnanalyzedPackage: Handler = (input) => {
  const key = packageKeyOf(input);
  return [record({ what: 'version', key }), ...learnAboutSecurity(input, key)];
};
