/**
 * `thoth config view`: each setting a context can hold, its effective value and
 * where it came from (flag > environment > context > default), secrets masked.
 */
import { CONTEXT_KEYS, type ChosenContext } from './contexts.js';

/** The global flags that override a context's keys (a part of GlobalOptions). */
interface Flags {
  broker?: string;
  deploymentName?: string;
  db?: string;
}

/** What the defaults depend on. */
interface Computed {
  cachePath: string;
  solvers: readonly string[];
}

export interface EffectiveSetting {
  setting: string;
  /** null: not set, and no default. */
  value: string | null;
  /** `--broker`, `env KAFKA_BOOTSTRAP_SERVERS`, `context staging`, `default`, or `unset`. */
  source: string;
}

const MASK = '***';

/** What applies when nothing sets it (the settings compute the rest, such as the cache path). */
function defaultOf(key: string, settings: Computed): string | null {
  switch (key) {
    case 'broker':
      return 'embedded';
    case 'cache':
      return settings.cachePath;
    case 'solvers':
      return settings.solvers.join(',');
    case 'kafka.security-protocol':
      return 'PLAINTEXT';
    case 'kafka.message-max-bytes':
      return String(1024 * 1024);
    default:
      return null;
  }
}

function flagValue(key: string, globals: Flags): string | undefined {
  if (key === 'broker') return globals.broker;
  if (key === 'deployment-name') return globals.deploymentName;
  if (key === 'cache') return globals.db;
  return undefined;
}

export function effectiveSettings(
  processEnv: Readonly<Record<string, string>>,
  globals: Flags,
  context: ChosenContext | undefined,
  settings: Computed,
): EffectiveSetting[] {
  const rows: EffectiveSetting[] = [
    context ? { setting: 'context', value: context.name, source: context.chosenBy } : { setting: 'context', value: null, source: 'unset' },
  ];
  for (const spec of CONTEXT_KEYS) {
    const shown = (value: string) => (spec.secret ? MASK : value);
    const flag = flagValue(spec.key, globals);
    if (flag !== undefined) rows.push({ setting: spec.key, value: shown(flag), source: spec.flag! });
    else if (processEnv[spec.variable] !== undefined)
      rows.push({ setting: spec.key, value: shown(processEnv[spec.variable]), source: `env ${spec.variable}` });
    else if (context && context.variables[spec.variable] !== undefined)
      rows.push({ setting: spec.key, value: shown(context.variables[spec.variable]), source: `context ${context.name}` });
    else {
      const value = defaultOf(spec.key, settings);
      rows.push({ setting: spec.key, value, source: value === null ? 'unset' : 'default' });
    }
  }
  return rows;
}
