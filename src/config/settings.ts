/**
 * The one module that reads the environment (SPEC §2.2, §3, §4, §6): every
 * variable thoth honours is named here, read once from the environment the
 * dispatch core hands in, and handed down as typed settings. Each value is
 * parsed when first asked for, so a bad KAFKA_* setting fails the commands
 * that use Kafka and not `thoth schema`; the error names the variable (or
 * the flag that overrides it).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { splitList } from '../core/list.js';
import { secretValues } from '../core/redact.js';
import { deploymentNameProblem } from '../messages/topics.js';
import { chooseBroker, type BrokerChoice } from './broker.js';
import { defaultIndexUrl, parseIndexUrls, type IndexUrlSource } from './index-url.js';
import { investigatorSettings, type InvestigatorSettings } from './investigator-settings.js';
import { DEFAULT_MAX_MESSAGE_BYTES, messageMaxBytes, readKafkaSettings, type KafkaSettings } from './kafka.js';
import type { Compression } from './kafka-options.js';
import { kubeSettings, type KubeSettings } from './kube.js';
import { chooseContext, readContextFile, type ChosenContext, type ContextFile } from './contexts.js';
import { effectiveSettings, type EffectiveSetting } from './effective.js';
import { DEFAULT_SOLVERS, parseSolvers } from './solvers.js';

/** The options every command has (`thoth --broker … --db … tail …`). */
export interface GlobalOptions {
  /** `host:port,...`, `kafka://host:port,...` or `embedded`; undefined means "decide from the environment". */
  broker?: string;
  /** `--kafka-option key=value` (kcat's -X), in order. */
  kafkaOptions?: string[];
  /** `--compression` (kcat's -z): the codec of every batch thoth produces. */
  compression?: Compression;
  db?: string;
  deploymentName?: string;
  /** `--thoth-context`: the named context of the configuration file for this command. */
  thothContext?: string;
  quiet: boolean;
  verbose: boolean;
  /** --no-color turns it off (NO_COLOR too: see Settings.color). */
  color: boolean;
}

export interface Settings {
  /** The configuration file (src/config/contexts.ts), read whether or not it exists. */
  readonly configFile: ContextFile;
  /** The context in use (--thoth-context, THOTH_CONTEXT, the file's current-context), if any. */
  readonly context: ChosenContext | undefined;
  /** The knowledge cache: --db, else THOTH_DB, else $THOTH_HOME/thoth.db, else ~/.thoth/thoth.db. */
  readonly cachePath: string;
  /** The topic prefix: --deployment-name, else THOTH_DEPLOYMENT_NAME; checked against Kafka's topic rules. */
  readonly deploymentName: string | undefined;
  /** Kafka (--broker kafka://…, KAFKA_BOOTSTRAP_SERVERS) or the embedded broker in the cache file. */
  readonly broker: BrokerChoice;
  /** The Kafka client settings (KAFKA_*), reading the PEM files they name. */
  kafka(bootstrap: readonly string[]): KafkaSettings;
  /** KAFKA_MESSAGE_MAX_BYTES, else Kafka's default of 1 MiB. */
  readonly maxMessageBytes: number;
  /** THOTH_CACHE_WAIT: how long a command waits for a cache another process has locked (default 30s). */
  readonly cacheWaitMs: number;
  /** KAFKA_CONSUMER_GROUP_ID. */
  readonly consumerGroup: string | undefined;
  /** KAFKA_CONSUMER_AUTO_OFFSET_RESET (default earliest). */
  readonly offsetReset: 'earliest' | 'latest';
  /** THOTH_SOLVERS, else the SPEC's three. */
  readonly solvers: readonly string[];
  /** THOTH_INDEX_URLS as written (the cache registers them when it is opened for writing). */
  readonly indexUrlsAsWritten: string[];
  /** THOTH_INDEX_URLS, each checked, without trailing slashes. */
  readonly indexUrls: string[];
  /** The index of a message that names none: THOTH_INDEX_URLS, else PIP_INDEX_URL, else pip's configuration. */
  readonly defaultIndexUrl: IndexUrlSource | undefined;
  /** THOTH_MIDDLETIER_NAMESPACE and THOTH_BACKEND_NAMESPACE. */
  readonly namespaces: { middletier?: string; backend?: string };
  /** THOTH_CONSUMER_MODE, THOTH_INVESTIGATOR_* and THOTH_REGISTRY_CREDENTIALS_SECRET. */
  readonly investigator: InvestigatorSettings;
  /** ARGO_PENDING_WORKFLOW_LIMIT. */
  readonly pendingLimit: number | undefined;
  /** Where a kubeconfig is looked for (KUBECONFIG, ~/.kube/config, the in-cluster service account). */
  readonly kube: KubeSettings;
  /** Inside a Kubernetes pod (KUBERNETES_SERVICE_HOST). */
  readonly inKubernetes: boolean;
  /** Off with --no-color, NO_COLOR, or TERM=dumb (a terminal that draws no escape sequences). */
  readonly color: boolean;
  /** Values of secret-looking variables (passwords, tokens), kept out of everything printed. */
  readonly secrets: string[];
  /** What `thoth config view` shows: each setting a context can hold, its value and source, secrets masked. */
  readonly effective: EffectiveSetting[];
  /** Settings that are allowed but probably not meant (an empty THOTH_DEPLOYMENT_NAME), for a warning on stderr. */
  readonly warnings: string[];
}

/** 30 s: how long a command waits, by default, for a cache another process holds locked. */
export const DEFAULT_CACHE_WAIT_MS = 30_000;

/** THOTH_CACHE_WAIT: a duration (`30s`, `2m`, `500ms`; `0` tries once). */
export function parseCacheWait(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_CACHE_WAIT_MS;
  const ms = value.trim() === '0' ? 0 : parseDuration(value);
  if (ms === undefined) {
    throw new UsageError(
      `THOTH_CACHE_WAIT must be a duration such as 30s, 2m or 500ms (0: do not wait), got ${JSON.stringify(value.slice(0, 60))}`,
    );
  }
  return ms;
}

/** ARGO_PENDING_WORKFLOW_LIMIT or --pending-limit; undefined means no limit. */
export function parsePendingLimit(value: string | undefined, from: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${from} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * The deployment name. An empty THOTH_DEPLOYMENT_NAME is a name, as thoth-messaging reads it
 * (`os.getenv` returns "", which is not None): topics are then `.<base topic>`, and a warning says so.
 */
function checkedDeploymentName(globals: Partial<GlobalOptions>, env: NodeJS.ProcessEnv): string | undefined {
  if (globals.deploymentName === undefined && env.THOTH_DEPLOYMENT_NAME === '') return '';
  const name = globals.deploymentName ?? (env.THOTH_DEPLOYMENT_NAME || undefined);
  if (name === undefined) return undefined;
  const problem = deploymentNameProblem(name);
  if (problem) {
    const source = globals.deploymentName !== undefined ? '--deployment-name' : 'THOTH_DEPLOYMENT_NAME';
    throw new UsageError(`${source} ${JSON.stringify(name.slice(0, 60))} cannot prefix a topic: ${problem}`);
  }
  return name;
}

function offsetReset(env: NodeJS.ProcessEnv): 'earliest' | 'latest' {
  const reset = (env.KAFKA_CONSUMER_AUTO_OFFSET_RESET || 'earliest').toLowerCase();
  if (reset !== 'earliest' && reset !== 'latest') {
    throw new UsageError(`KAFKA_CONSUMER_AUTO_OFFSET_RESET must be "earliest" or "latest", got ${JSON.stringify(reset)}`);
  }
  return reset;
}

/** Defines each field as a getter that computes its value once, when first read (a throw is not kept). */
function lazily<T extends object>(fields: { [K in keyof T]: () => T[K] }): T {
  const out = {};
  for (const key of Object.keys(fields) as Array<keyof T & string>) {
    let cached: { value: T[typeof key] } | undefined;
    Object.defineProperty(out, key, { enumerable: true, get: () => (cached ??= { value: fields[key]() }).value });
  }
  return out as T;
}

/**
 * The settings of one invocation: `processEnv` is read here and nowhere else. A context of the
 * configuration file supplies the variables the environment does not set (flag > environment >
 * context > default).
 */
export function readSettings(processEnv: NodeJS.ProcessEnv, globals: Partial<GlobalOptions> = {}): Settings {
  const configFile = readContextFile(processEnv);
  const context = chooseContext(configFile, globals.thothContext, processEnv);
  const set = Object.fromEntries(Object.entries(processEnv).filter(([, value]) => value !== undefined));
  const env: NodeJS.ProcessEnv = { ...context?.variables, ...set };
  const cachePath = () => globals.db || env.THOTH_DB || join(env.THOTH_HOME || join(env.HOME || homedir(), '.thoth'), 'thoth.db');
  const values: Omit<Settings, 'kafka'> = lazily<Omit<Settings, 'kafka'>>({
    configFile: () => configFile,
    context: () => context,
    effective: (): EffectiveSetting[] => effectiveSettings(set as Record<string, string>, globals, context, values),
    cachePath,
    deploymentName: () => checkedDeploymentName(globals, env),
    broker: () => chooseBroker(globals.broker, env.KAFKA_BOOTSTRAP_SERVERS, cachePath()),
    maxMessageBytes: () => messageMaxBytes(env) ?? DEFAULT_MAX_MESSAGE_BYTES,
    cacheWaitMs: () => parseCacheWait(env.THOTH_CACHE_WAIT),
    consumerGroup: () => env.KAFKA_CONSUMER_GROUP_ID || undefined,
    offsetReset: () => offsetReset(env),
    solvers: () => (env.THOTH_SOLVERS ? parseSolvers(env.THOTH_SOLVERS, 'THOTH_SOLVERS') : DEFAULT_SOLVERS),
    indexUrlsAsWritten: () => splitList(env.THOTH_INDEX_URLS),
    indexUrls: () => parseIndexUrls(env.THOTH_INDEX_URLS ?? '', 'THOTH_INDEX_URLS'),
    defaultIndexUrl: () => defaultIndexUrl(env),
    namespaces: () => ({ middletier: env.THOTH_MIDDLETIER_NAMESPACE || undefined, backend: env.THOTH_BACKEND_NAMESPACE || undefined }),
    investigator: () => investigatorSettings(env),
    pendingLimit: () => parsePendingLimit(env.ARGO_PENDING_WORKFLOW_LIMIT, 'ARGO_PENDING_WORKFLOW_LIMIT'),
    kube: () => kubeSettings(env),
    inKubernetes: () => Boolean(env.KUBERNETES_SERVICE_HOST),
    color: () => globals.color !== false && !env.NO_COLOR && env.TERM !== 'dumb',
    secrets: () => secretValues(env),
    warnings: () =>
      globals.deploymentName === undefined && env.THOTH_DEPLOYMENT_NAME === ''
        ? [
            'THOTH_DEPLOYMENT_NAME is set but empty: topics are named ".<base topic>" (with a leading dot), as thoth-messaging names them; unset it for unprefixed topics',
          ]
        : [],
  });
  return Object.assign(values, {
    kafka: (bootstrap: readonly string[]) =>
      readKafkaSettings(bootstrap, env, undefined, { kafkaOptions: globals.kafkaOptions, compression: globals.compression }),
  });
}
