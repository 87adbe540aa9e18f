/**
 * solved-package and si-unanalyzed-package (SPEC §3): record what a solver
 * learnt, or that security indicators are wanted. What follows from several
 * facts together is not decided here but by the decisions their facts
 * complete (src/investigate/decisions.ts), whichever replica learns the
 * last of them: security indicators once per version (not for a version
 * flagged missing or without a source distribution: SI fails only once),
 * and the re-run of advice that waited on this knowledge.
 */
import { record, schedule, type Effect } from '../effects.js';
import { checkedSolver, packageKeyOf, requireField, type Handler } from './common.js';
import { kebechetAdministratorRequest } from './requests.js';

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
  const effects: Effect[] = [record({ what: 'version', key }), record({ what: 'solved', key, solver })];
  if (input.config.schedule.kebechetAdministrator) {
    effects.push(
      schedule(
        kebechetAdministratorRequest({ ...key, solver }, input.baseTopic, input.source),
        `${key.packageName} was solved`,
        input.typeName,
      ),
    );
  }
  return effects;
};

export const siUnanalyzedPackage: Handler = (input) => {
  const key = packageKeyOf(input);
  return [record({ what: 'version', key }), record({ what: 'security-indicators-requested', key })];
};
