/**
 * The investigator's configuration (SPEC §3): which solvers exist, which
 * kinds of work it may schedule, which modes it runs in and which indexes it
 * trusts. Built once from the settings (the environment) and the command
 * line; flags win.
 */
import { UsageError } from '../core/errors.js';
import { parseIndexUrls } from './index-url.js';
import { parseModes, type ConsumerMode } from './investigator-settings.js';
import type { Settings } from './settings.js';
import { parseSolvers } from './solvers.js';

export type { ConsumerMode } from './investigator-settings.js';

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
  solvers: string | readonly string[];
  mode: string | readonly string[];
  indexUrls: string | readonly string[];
  scheduleSolver: boolean;
  scheduleRevsolver: boolean;
  scheduleSecurity: boolean;
  kebechetAdministrator: boolean;
  deploymentName: string;
  registryCredentialsSecret: string;
}

/** The settings' investigator values (THOTH_SOLVERS, THOTH_CONSUMER_MODE, THOTH_INDEX_URLS, THOTH_INVESTIGATOR_*) with the flags on top. */
export function investigatorConfig(settings: Settings, flags: Partial<InvestigatorFlags> = {}): InvestigatorConfig {
  const solvers = flags.solvers !== undefined ? parseSolvers(flags.solvers, '--solvers') : [...settings.solvers];
  const modes = flags.mode !== undefined ? parseModes(flags.mode, '--mode') : settings.investigator.modes;
  const indexUrls = flags.indexUrls !== undefined ? parseIndexUrls(flags.indexUrls, '--index-url') : settings.indexUrls;
  const registryCredentialsSecret = flags.registryCredentialsSecret || settings.investigator.registryCredentialsSecret;
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(registryCredentialsSecret)) {
    throw new UsageError(
      `THOTH_REGISTRY_CREDENTIALS_SECRET must name a Secret (a DNS-1123 subdomain), got ${JSON.stringify(registryCredentialsSecret)}`,
    );
  }
  const deploymentName = flags.deploymentName ?? settings.deploymentName;
  const switches = settings.investigator.schedule;
  return {
    solvers,
    schedule: {
      solver: flags.scheduleSolver ?? switches.solver,
      revsolver: flags.scheduleRevsolver ?? switches.revsolver,
      security: flags.scheduleSecurity ?? switches.security,
      kebechetAdministrator: flags.kebechetAdministrator ?? switches.kebechetAdministrator,
    },
    modes,
    indexUrls,
    ...(deploymentName !== undefined ? { deploymentName } : {}),
    registryCredentialsSecret,
  };
}
