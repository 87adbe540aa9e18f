/**
 * Messages about packages changing on their index (SPEC §3): a release, a
 * version or package that disappeared, artifacts whose hashes no longer
 * match, a CVE notice, the sdist flag, and requests for reverse solving.
 * Each records what it says and schedules the learning it calls for.
 */
import type { PackageKey } from '../../store/types.js';
import { record, schedule, type Effect } from '../effects.js';
import {
  checkedIndex,
  nameField,
  packageKeyOf,
  requireField,
  solversToSchedule,
  versionField,
  type Handler,
  type HandlerInput,
} from './common.js';
import { kebechetAdministratorRequest, revsolverRequest, solverRequest } from './requests.js';

function kebechetAdministrator(
  input: HandlerInput,
  subject: { packageName: string; packageVersion?: string; indexUrl?: string },
): Effect[] {
  if (!input.config.schedule.kebechetAdministrator) return [];
  return [
    schedule(
      kebechetAdministratorRequest(subject, input.baseTopic, input.source),
      `${input.typeName} for ${subject.packageName}`,
      input.typeName,
    ),
  ];
}

function scheduleSolvers(input: HandlerInput, key: PackageKey, solvers: string[], why: string): Effect[] {
  if (!input.config.schedule.solver) return [];
  return solvers.map((solver) => schedule(solverRequest(key, solver, input.source), why, input.typeName));
}

export const packageReleased: Handler = (input) => {
  const key = packageKeyOf(input);
  const effects: Effect[] = [
    record({ what: 'version', key }),
    ...scheduleSolvers(
      input,
      key,
      solversToSchedule(input.view, key, input.config.solvers),
      `${key.packageName}==${key.packageVersion} was released`,
    ),
  ];
  if (input.config.schedule.revsolver) {
    effects.push(
      schedule(revsolverRequest(key.packageName, key.packageVersion, input.source), 'a new release may satisfy dependants', input.typeName),
    );
  }
  return effects;
};

/** Upstream registered no scheduling here (a bug); SPEC §3 asks for the revsolver. */
export const unrevsolvedPackage: Handler = (input) => {
  const packageName = nameField(input);
  const packageVersion = versionField(input);
  if (!input.config.schedule.revsolver) return [];
  return [
    schedule(
      revsolverRequest(packageName, packageVersion, input.source),
      `${packageName}==${packageVersion} has no reverse dependencies known`,
      input.typeName,
    ),
  ];
};

export const missingPackage: Handler = (input) => {
  const packageName = nameField(input);
  const indexUrl = checkedIndex(requireField(input.message, 'index_url', input.typeName), input.view, input.config);
  return [record({ what: 'package-missing', packageName, indexUrl }), ...kebechetAdministrator(input, { packageName, indexUrl })];
};

/** The version is gone from its index: no longer used in advice, and never analysed again (SI fails only once). */
export const missingPackageVersion: Handler = (input) => {
  const key = packageKeyOf(input);
  return [record({ what: 'version', key }), record({ what: 'missing', key, missing: true }), ...kebechetAdministrator(input, key)];
};

/**
 * Split between modes as upstream: middletier re-solves and marks the
 * hashes missing from the index; backend tells Kebechet.
 */
export const hashMismatch: Handler = (input) => {
  const key = packageKeyOf(input);
  const effects: Effect[] = [];
  if (input.config.modes.includes('middletier')) {
    effects.push(record({ what: 'version', key }));
    // Every solver, even those that solved it: the artifacts changed under them.
    effects.push(
      ...scheduleSolvers(input, key, input.config.solvers, `artifact hashes of ${key.packageName}==${key.packageVersion} changed`),
    );
    const missing = input.message.missing_from_source;
    if (Array.isArray(missing) && missing.length > 0) {
      effects.push(
        record({ what: 'hash-present', key, hashes: missing.filter((h): h is string => typeof h === 'string'), present: false }),
      );
    }
  }
  if (input.config.modes.includes('backend')) effects.push(...kebechetAdministrator(input, key));
  return effects;
};

export const cveProvided: Handler = (input) => {
  const key = packageKeyOf(input);
  return [record({ what: 'version', key }), record({ what: 'cve', key }), ...kebechetAdministrator(input, key)];
};

export const updateProvidesSourceDistro: Handler = (input) => {
  const key = packageKeyOf(input);
  const value = input.message.value === true;
  return [record({ what: 'version', key }), record({ what: 'provides-source-distro', key, value })];
};
