/**
 * The solver environments (SPEC §3): THOTH_SOLVERS, parsed once here for
 * every command that needs them, else the SPEC's default list.
 */
import { UsageError } from '../core/errors.js';
import { splitList } from '../core/list.js';

export const DEFAULT_SOLVERS: readonly string[] = ['solver-rhel-8-py38', 'solver-fedora-34-py39', 'solver-fedora-35-py310'];

const SOLVER_NAME = /^solver-([a-z0-9]+)-([a-z0-9.]+)-py([0-9])([0-9]{1,2})$/;

export interface SolverEnvironment {
  os: string;
  osVersion: string;
  /** X.Y */
  pythonVersion: string;
}

/** `solver-<os>-<os_version>-py<XY>` names its environment; undefined when the name does not follow that form. */
export function solverEnvironment(name: string): SolverEnvironment | undefined {
  const match = SOLVER_NAME.exec(name);
  if (!match) return undefined;
  return { os: match[1], osVersion: match[2], pythonVersion: `${match[3]}.${match[4]}` };
}

/** A list of solver names (`--solvers`, THOTH_SOLVERS), each checked; `from` names where it came from. */
export function parseSolvers(value: string | readonly string[], from: string): string[] {
  const solvers = [...new Set(splitList(value))];
  if (solvers.length === 0) throw new UsageError(`${from} names no solver`, `e.g. ${DEFAULT_SOLVERS.join(',')}`);
  for (const solver of solvers) checkSolverName(solver, from);
  return solvers;
}

/** A solver's name as given (`--solver`), or a usage error naming `from` and the rule. */
export function checkSolverName(name: string, from: string): string {
  if (!solverEnvironment(name))
    throw new UsageError(
      `${from}: ${JSON.stringify(name)} is not a solver name; a solver is named solver-<os>-<os_version>-py<XY>, e.g. solver-rhel-8-py38`,
    );
  return name;
}
