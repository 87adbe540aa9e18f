/**
 * What the environment says of the investigator (SPEC §3), read by
 * settings.ts: THOTH_CONSUMER_MODE, the THOTH_INVESTIGATOR_* switches and
 * THOTH_REGISTRY_CREDENTIALS_SECRET. Flags go on top in investigator.ts.
 */
import { booleanWord } from '../core/booleans.js';
import { UsageError } from '../core/errors.js';
import { splitList } from '../core/list.js';

export type ConsumerMode = 'middletier' | 'backend' | 'metrics';

export const CONSUMER_MODES: readonly ConsumerMode[] = ['middletier', 'backend', 'metrics'];

/** Where operators keep registry credentials (`user:password` under one key per registry host). */
export const DEFAULT_REGISTRY_CREDENTIALS_SECRET = 'thoth-registry-credentials';

function isConsumerMode(mode: string): mode is ConsumerMode {
  return (CONSUMER_MODES as readonly string[]).includes(mode);
}

export function parseModes(value: string | readonly string[], from: string): ConsumerMode[] {
  const modes = [...new Set(splitList(value))];
  if (modes.length === 0) throw new UsageError(`${from} names no mode; modes are ${CONSUMER_MODES.join(', ')}`);
  for (const mode of modes) {
    if (!(CONSUMER_MODES as readonly string[]).includes(mode)) {
      throw new UsageError(`${from}: unknown mode ${JSON.stringify(mode)}; modes are ${CONSUMER_MODES.join(', ')}`);
    }
  }
  return modes.filter(isConsumerMode);
}

/**
 * A yes/no setting (SPEC §2.2 words); anything else is a usage error naming the variable. Unset or
 * empty is `fallback`.
 */
export function parseSwitch(value: string | undefined, variable: string, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  const parsed = booleanWord(value);
  if (parsed === undefined)
    throw new UsageError(`${variable} must be a boolean (1/true/yes/on or 0/false/no/off), got ${JSON.stringify(value)}`);
  return parsed;
}

/** What the environment says of the investigator, before flags: read by settings.ts. */
export interface InvestigatorSettings {
  modes: ConsumerMode[];
  schedule: { solver: boolean; revsolver: boolean; security: boolean; kebechetAdministrator: boolean };
  registryCredentialsSecret: string;
}

export function investigatorSettings(env: NodeJS.ProcessEnv): InvestigatorSettings {
  return {
    modes: env.THOTH_CONSUMER_MODE ? parseModes(env.THOTH_CONSUMER_MODE, 'THOTH_CONSUMER_MODE') : ['middletier', 'backend'],
    schedule: {
      solver: parseSwitch(env.THOTH_INVESTIGATOR_SCHEDULE_SOLVER, 'THOTH_INVESTIGATOR_SCHEDULE_SOLVER', true),
      revsolver: parseSwitch(env.THOTH_INVESTIGATOR_SCHEDULE_REVSOLVER, 'THOTH_INVESTIGATOR_SCHEDULE_REVSOLVER', true),
      security: parseSwitch(env.THOTH_INVESTIGATOR_SCHEDULE_SECURITY, 'THOTH_INVESTIGATOR_SCHEDULE_SECURITY', true),
      // Off by default here: Kebechet is an optional GitHub bot (SPEC §3).
      kebechetAdministrator: parseSwitch(env.THOTH_INVESTIGATOR_KEBECHET_ADMINISTRATOR, 'THOTH_INVESTIGATOR_KEBECHET_ADMINISTRATOR', false),
    },
    registryCredentialsSecret: env.THOTH_REGISTRY_CREDENTIALS_SECRET || DEFAULT_REGISTRY_CREDENTIALS_SECRET,
  };
}
