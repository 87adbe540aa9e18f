/**
 * The investigator's configuration (SPEC §3): which solvers exist, which
 * kinds of work it may schedule, which modes it runs in and which indexes it
 * trusts. Parsed once from the environment and the command line; flags win.
 */
import { UsageError } from '../cli/errors.js';
import { indexUrlProblem } from '../messages/package-spec.js';

export type ConsumerMode = 'middletier' | 'backend' | 'metrics';

export const CONSUMER_MODES: readonly ConsumerMode[] = ['middletier', 'backend', 'metrics'];

export const DEFAULT_SOLVERS = ['solver-rhel-8-py38', 'solver-fedora-34-py39', 'solver-fedora-35-py310'];

/** Where operators keep registry credentials (`user:password` under one key per registry host). */
export const DEFAULT_REGISTRY_CREDENTIALS_SECRET = 'thoth-registry-credentials';

export interface InvestigatorConfig {
  /** THOTH_SOLVERS or the SPEC default. */
  solvers: string[];
  schedule: { solver: boolean; revsolver: boolean; security: boolean; kebechetAdministrator: boolean };
  /** Default ['middletier', 'backend']. */
  modes: ConsumerMode[];
  /** THOTH_INDEX_URLS, without trailing slashes (registered in the cache on start). */
  indexUrls: string[];
  deploymentName?: string;
  /** Secret that workflows read registry credentials from (THOTH_REGISTRY_CREDENTIALS_SECRET). */
  registryCredentialsSecret: string;
}

export interface InvestigatorFlags {
  solvers: string | string[];
  mode: string | string[];
  indexUrls: string | string[];
  scheduleSolver: boolean;
  scheduleRevsolver: boolean;
  scheduleSecurity: boolean;
  kebechetAdministrator: boolean;
  deploymentName: string;
  registryCredentialsSecret: string;
}

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
  return { os: match[1]!, osVersion: match[2]!, pythonVersion: `${match[3]}.${match[4]}` };
}

/** Parses a boolean the way SPEC §2.2 asks: 0/false/no/off are false, 1/true/yes/on true. */
export function parseSwitch(value: string, variable: string): boolean {
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new UsageError(`${variable} must be a boolean (1/true/yes/on or 0/false/no/off), got ${JSON.stringify(value)}`);
}

function list(value: string | string[]): string[] {
  const items = Array.isArray(value) ? value.flatMap((v) => v.split(',')) : value.split(',');
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

function switchValue(flag: boolean | undefined, env: NodeJS.ProcessEnv, variable: string, fallback: boolean): boolean {
  if (flag !== undefined) return flag;
  const raw = env[variable];
  return raw === undefined || raw === '' ? fallback : parseSwitch(raw, variable);
}

function parseSolvers(value: string | string[], from: string): string[] {
  const solvers = [...new Set(list(value))];
  if (solvers.length === 0) throw new UsageError(`${from} names no solver`, `e.g. ${DEFAULT_SOLVERS.join(',')}`);
  for (const solver of solvers) {
    if (!solverEnvironment(solver)) {
      throw new UsageError(`${from}: ${JSON.stringify(solver)} is not a solver name; a solver is named solver-<os>-<os_version>-py<XY>, e.g. solver-rhel-8-py38`);
    }
  }
  return solvers;
}

function parseModes(value: string | string[], from: string): ConsumerMode[] {
  const modes = [...new Set(list(value))];
  if (modes.length === 0) throw new UsageError(`${from} names no mode; modes are ${CONSUMER_MODES.join(', ')}`);
  for (const mode of modes) {
    if (!(CONSUMER_MODES as readonly string[]).includes(mode)) {
      throw new UsageError(`${from}: unknown mode ${JSON.stringify(mode)}; modes are ${CONSUMER_MODES.join(', ')}`);
    }
  }
  return modes as ConsumerMode[];
}

function parseIndexUrls(value: string | string[], from: string): string[] {
  const urls = list(value);
  for (const url of urls) {
    const problem = indexUrlProblem(url);
    if (problem) throw new UsageError(`${from}: ${problem}`);
  }
  return [...new Set(urls.map(stripTrailingSlash))];
}

export function stripTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Reads THOTH_SOLVERS, THOTH_CONSUMER_MODE, THOTH_INDEX_URLS and the THOTH_INVESTIGATOR_* switches; flags override them. */
export function investigatorConfig(env: NodeJS.ProcessEnv, flags: Partial<InvestigatorFlags> = {}): InvestigatorConfig {
  const solvers =
    flags.solvers !== undefined
      ? parseSolvers(flags.solvers, '--solvers')
      : env.THOTH_SOLVERS
        ? parseSolvers(env.THOTH_SOLVERS, 'THOTH_SOLVERS')
        : [...DEFAULT_SOLVERS];
  const modes =
    flags.mode !== undefined
      ? parseModes(flags.mode, '--mode')
      : env.THOTH_CONSUMER_MODE
        ? parseModes(env.THOTH_CONSUMER_MODE, 'THOTH_CONSUMER_MODE')
        : (['middletier', 'backend'] as ConsumerMode[]);
  const indexUrls =
    flags.indexUrls !== undefined
      ? parseIndexUrls(flags.indexUrls, '--index-url')
      : parseIndexUrls(env.THOTH_INDEX_URLS ?? '', 'THOTH_INDEX_URLS');
  const registryCredentialsSecret =
    flags.registryCredentialsSecret || env.THOTH_REGISTRY_CREDENTIALS_SECRET || DEFAULT_REGISTRY_CREDENTIALS_SECRET;
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(registryCredentialsSecret)) {
    throw new UsageError(`THOTH_REGISTRY_CREDENTIALS_SECRET must name a Secret (a DNS-1123 subdomain), got ${JSON.stringify(registryCredentialsSecret)}`);
  }
  const deploymentName = flags.deploymentName ?? (env.THOTH_DEPLOYMENT_NAME || undefined);
  return {
    solvers,
    schedule: {
      solver: switchValue(flags.scheduleSolver, env, 'THOTH_INVESTIGATOR_SCHEDULE_SOLVER', true),
      revsolver: switchValue(flags.scheduleRevsolver, env, 'THOTH_INVESTIGATOR_SCHEDULE_REVSOLVER', true),
      security: switchValue(flags.scheduleSecurity, env, 'THOTH_INVESTIGATOR_SCHEDULE_SECURITY', true),
      // Off by default here: Kebechet is an optional GitHub bot (SPEC §3).
      kebechetAdministrator: switchValue(flags.kebechetAdministrator, env, 'THOTH_INVESTIGATOR_KEBECHET_ADMINISTRATOR', false),
    },
    modes,
    indexUrls,
    ...(deploymentName ? { deploymentName } : {}),
    registryCredentialsSecret,
  };
}

/**
 * Which modes handle a message type, as upstream registered its handlers:
 * middletier takes the learning topics, backend the user-facing triggers and
 * upkeep (hash-mismatch is split between both). Metrics mode counts every type.
 */
export const MODES_OF_TYPE: Readonly<Record<string, readonly ConsumerMode[]>> = {
  'unresolved-package': ['middletier'],
  'unrevsolved-package': ['middletier'],
  'package-released': ['middletier'],
  'solved-package': ['middletier'],
  'si-unanalyzed-package': ['middletier'],
  'update-provides-source-distro': ['middletier'],
  'inspection-completed': ['middletier'],
  'build-analysis-trigger': ['middletier'],
  'hash-mismatch': ['middletier', 'backend'],
  'missing-package': ['backend'],
  'missing-package-version': ['backend'],
  'cve-provided': ['backend'],
  'adviser-trigger': ['backend'],
  'adviser-re-run': ['backend'],
  'provenance-checker-trigger': ['backend'],
  'package-extract-trigger': ['backend'],
  'kebechet-trigger': ['backend'],
  'kebechet-run-url-trigger': ['backend'],
  'repo-init': ['backend'],
  'advise-justification': ['metrics'],
};

/** True when a consumer in these modes subscribes to the type's topic (metrics mode subscribes to all). */
export function handlesInMode(typeName: string, modes: readonly ConsumerMode[]): boolean {
  if (modes.includes('metrics')) return typeName in MODES_OF_TYPE;
  return (MODES_OF_TYPE[typeName] ?? []).some((mode) => modes.includes(mode));
}

/** True when the type's handler (not just its counter) runs in these modes. */
export function handlerRunsInMode(typeName: string, modes: readonly ConsumerMode[]): boolean {
  return (MODES_OF_TYPE[typeName] ?? []).some((mode) => modes.includes(mode));
}
