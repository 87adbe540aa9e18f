/**
 * unresolved-package (SPEC §3): someone needs knowledge about a package. For
 * each version asked (every version on the index when none or `*` is given),
 * schedule the solvers that lack it, record the request, and remember the
 * advice run that waits for it (thoth-adviser-id header).
 *
 * An advice run may ask about versions every solver it names has solved
 * already: its advice-wait facts then complete its decision by themselves
 * (src/investigate/decisions.ts), and it is re-run once. Not when any version
 * still lacks one of them: the result of the solver scheduled or in flight
 * for it completes the decision when it comes.
 */
import { PermanentError } from '../../core/errors.js';
import { canonicalVersion } from '../../messages/package-spec.js';
import { checkAdviceHeaders } from '../../messages/advice-headers.js';
import type { PackageKey } from '../../store/types.js';
import { record, schedule, type Effect } from '../effects.js';
import {
  ERROR_CLASS,
  checkedIndex,
  checkedVersion,
  configuredSolver,
  nameField,
  requireField,
  solversToSchedule,
  str,
  type Handler,
  type HandlerInput,
} from './common.js';
import { solverRequest } from './requests.js';

export { ADVISER_ID_HEADER, RECOMMENDATION_TYPE_HEADER, DEFAULT_RECOMMENDATION_TYPE } from '../../messages/advice-headers.js';

/**
 * True when the message names no single version, so the index decides which
 * versions to learn about: the field absent or null, or `*`. An empty or blank
 * version is not "every version" but a broken one (PEP 440), so a producer's
 * bug never fans out into a solver workflow for each release on the index.
 */
export function wantsEveryVersion(packageVersion: string | null): boolean {
  return packageVersion === null || packageVersion === '*';
}

/** The advice run the headers name, checked, or null when the message carries none. */
export function waitingAdviceRun(headers: Record<string, string>): { adviserId: string; recommendationType: string } | null {
  const checked = checkAdviceHeaders(headers);
  if (!checked.ok) throw new PermanentError(ERROR_CLASS.invalidHeader, checked.reason);
  return checked.run;
}

/** The solvers to ask: the message's `solver` when set (one this deployment runs), else every configured one. */
export function requestedSolvers(input: HandlerInput): string[] {
  const solver = str(input.message, 'solver');
  if (solver === null || solver === '') return input.config.solvers;
  return [configuredSolver(solver, input.config)];
}

export const unresolvedPackage: Handler = (input) => {
  const { message, view, config, source } = input;
  const packageName = nameField(input);
  const indexUrl = checkedIndex(requireField(message, 'index_url', input.typeName), view, config);
  const asked = str(message, 'package_version');
  // Two spellings of one version on the index (2.0 and 2.0.0) are one version.
  const versions = wantsEveryVersion(asked)
    ? [...new Set((input.indexVersions ?? []).map((v) => canonicalVersion(v)))]
    : [checkedVersion(asked!)];
  const solvers = requestedSolvers(input);
  const solverOfRequest = solvers.length === 1 && str(message, 'solver') ? solvers[0] : null;
  const advice = waitingAdviceRun(input.headers);

  const effects: Effect[] = [];
  for (const packageVersion of versions) {
    const key: PackageKey = { packageName, packageVersion, indexUrl };
    effects.push(record({ what: 'version', key }), record({ what: 'unresolved', key, solver: solverOfRequest }));
    if (advice) effects.push(record({ what: 'advice-wait', ...advice, key }));
    if (!config.schedule.solver) continue;
    for (const solver of solversToSchedule(view, key, solvers)) {
      effects.push(
        schedule(solverRequest(key, solver, source), `${packageName}==${packageVersion} has no ${solver} result`, input.typeName),
      );
    }
  }
  // Whether the advice run now waits on nothing (every version already solved) is its decision's
  // (src/investigate/decisions.ts), taken on the facts, wherever the last of them was learnt.
  return effects;
};
