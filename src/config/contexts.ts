/**
 * Named contexts (kubectl's and kafkactl's `use-context`): one YAML file in the
 * XDG config folder, `$XDG_CONFIG_HOME/thoth/config.yaml` (else
 * `~/.config/thoth/config.yaml`; THOTH_CONFIG names another), holding what
 * one would otherwise export as a dozen variables per environment:
 *
 *   current-context: staging
 *   contexts:
 *     staging:
 *       broker: kafka-staging.example:9093
 *       deployment-name: staging
 *       index-urls: [https://index.example/simple]
 *       kafka:
 *         security-protocol: SASL_SSL
 *         sasl-username: thoth
 *         sasl-password: { env: STAGING_KAFKA_PASSWORD }   # or { file: ~/.secrets/kafka }
 *     laptop:
 *       broker: embedded
 *
 * A context stands below the environment: each of its keys is the value of
 * one environment variable (CONTEXT_KEYS), used when that variable is not
 * set, so the precedence is flag > environment > context > default with
 * every variable parsed by the code that already reads it. Secrets are never
 * written in the file: they name a variable or a file to read.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type * as Yaml from 'yaml';
import { choiceRefusal } from '../core/choice.js';
import { UsageError, UserError } from '../core/errors.js';
import { makeFolders } from '../core/folders.js';

let yamlModule: typeof Yaml | undefined;

/**
 * The YAML parser, loaded when there is a file to read: it is some 70 modules, and every command
 * reads the settings, most of them with no configuration file at all (`thoth query stats`).
 */
function yaml(): typeof Yaml {
  return (yamlModule ??= createRequire(import.meta.url)('yaml') as typeof Yaml);
}

export interface ContextKey {
  /** The key in the file (`kafka.sasl-password` is `sasl-password` under `kafka:`). */
  key: string;
  /** The environment variable it stands for. */
  variable: string;
  /** A password: `{env: VAR}` or `{file: PATH}` only, and masked in `config view`. */
  secret?: boolean;
  /** A list may be written as a YAML list (joined with commas). */
  list?: boolean;
  /** The global flag that overrides it. */
  flag?: string;
}

export const CONTEXT_KEYS: readonly ContextKey[] = [
  { key: 'broker', variable: 'KAFKA_BOOTSTRAP_SERVERS', flag: '--broker' },
  { key: 'deployment-name', variable: 'THOTH_DEPLOYMENT_NAME', flag: '--deployment-name' },
  { key: 'cache', variable: 'THOTH_DB', flag: '--db' },
  { key: 'index-urls', variable: 'THOTH_INDEX_URLS', list: true },
  { key: 'solvers', variable: 'THOTH_SOLVERS', list: true },
  { key: 'kubeconfig', variable: 'KUBECONFIG' },
  { key: 'kube-context', variable: 'THOTH_KUBE_CONTEXT' },
  { key: 'namespaces.middletier', variable: 'THOTH_MIDDLETIER_NAMESPACE' },
  { key: 'namespaces.backend', variable: 'THOTH_BACKEND_NAMESPACE' },
  { key: 'kafka.security-protocol', variable: 'KAFKA_SECURITY_PROTOCOL' },
  { key: 'kafka.sasl-mechanism', variable: 'KAFKA_SASL_MECHANISM' },
  { key: 'kafka.sasl-username', variable: 'KAFKA_SASL_USERNAME' },
  { key: 'kafka.sasl-password', variable: 'KAFKA_SASL_PASSWORD', secret: true },
  { key: 'kafka.ssl-ca-location', variable: 'KAFKA_SSL_CA_LOCATION' },
  { key: 'kafka.ssl-certificate-location', variable: 'KAFKA_SSL_CERTIFICATE_LOCATION' },
  { key: 'kafka.ssl-key-location', variable: 'KAFKA_SSL_KEY_LOCATION' },
  { key: 'kafka.ssl-key-password', variable: 'KAFKA_SSL_KEY_PASSWORD', secret: true },
  { key: 'kafka.consumer-group-id', variable: 'KAFKA_CONSUMER_GROUP_ID' },
  { key: 'kafka.message-max-bytes', variable: 'KAFKA_MESSAGE_MAX_BYTES' },
];

export interface ContextFile {
  path: string;
  exists: boolean;
  current?: string;
  /** Each context's keys as written (secrets still as their reference). */
  contexts: Record<string, Record<string, unknown>>;
}

/** The chosen context: its name, why it was chosen, and the variables it supplies. */
export interface ChosenContext {
  name: string;
  /** `--thoth-context`, `THOTH_CONTEXT` or `current-context of <file>`. */
  chosenBy: string;
  variables: Record<string, string>;
}

export function configFilePath(env: NodeJS.ProcessEnv): string {
  if (env.THOTH_CONFIG) return env.THOTH_CONFIG;
  const home = env.HOME || homedir();
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'thoth', 'config.yaml');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `~/x` as the shell would read it. */
function expandHome(path: string, env: NodeJS.ProcessEnv): string {
  return path.startsWith('~/') ? join(env.HOME || homedir(), path.slice(2)) : path;
}

export function readContextFile(env: NodeJS.ProcessEnv): ContextFile {
  const path = configFilePath(env);
  if (!existsSync(path)) return { path, exists: false, contexts: {} };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read the configuration ${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  const doc = yaml().parseDocument(text);
  if (doc.errors.length > 0) throw new UsageError(`${path}: not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  const data: unknown = doc.toJS() ?? {};
  if (!isObject(data)) throw new UsageError(`${path}: expected a mapping with current-context and contexts`);
  for (const key of Object.keys(data))
    if (key !== 'current-context' && key !== 'contexts')
      throw new UsageError(`${path}: ${choiceRefusal('a top-level key', key, ['current-context', 'contexts'])}`);
  const contexts = data.contexts ?? {};
  if (!isObject(contexts)) throw new UsageError(`${path}: contexts must be a mapping of names to contexts`);
  for (const [name, context] of Object.entries(contexts)) {
    if (!isObject(context)) throw new UsageError(`${path}: context ${name} must be a mapping`);
    checkKeys(path, name, context);
  }
  const current = data['current-context'];
  if (current !== undefined && current !== null && typeof current !== 'string')
    throw new UsageError(`${path}: current-context must be a context name`);
  return { path, exists: true, ...(current ? { current } : {}), contexts: contexts as ContextFile['contexts'] };
}

/** Every key of a context is a known one (`kafka.sasl-password` as `kafka: {sasl-password: …}`). */
function checkKeys(path: string, name: string, context: Record<string, unknown>, prefix = ''): void {
  const known = CONTEXT_KEYS.map((k) => k.key);
  for (const [key, value] of Object.entries(context)) {
    const full = `${prefix}${key}`;
    const isGroup = known.some((k) => k.startsWith(`${full}.`));
    if (isGroup) {
      if (!isObject(value)) throw new UsageError(`${path}: context ${name}: ${full} must be a mapping`);
      checkKeys(path, name, value, `${full}.`);
    } else if (!known.includes(full)) {
      throw new UsageError(`${path}: context ${name}: ${choiceRefusal('a key', full, known)}`);
    }
  }
}

function valueAt(context: Record<string, unknown>, key: string): unknown {
  let at: unknown = context;
  for (const part of key.split('.')) at = isObject(at) ? at[part] : undefined;
  return at;
}

/** A secret's value: the variable or the file it names; a secret written in clear is refused. */
function secretValue(path: string, name: string, spec: ContextKey, value: unknown, env: NodeJS.ProcessEnv): string | undefined {
  const where = `${path}: context ${name}: ${spec.key}`;
  if (!isObject(value) || Object.keys(value).length !== 1 || !(typeof value.env === 'string' || typeof value.file === 'string'))
    throw new UsageError(`${where} must be {env: VARIABLE} or {file: PATH}: a secret is never written in the configuration`);
  if (typeof value.env === 'string') return env[value.env] || undefined;
  const file = expandHome(value.file as string, env);
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new UserError(`${where}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}

/** The variables a context supplies, each as its variable would hold it. */
export function contextVariables(file: ContextFile, name: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const context = file.contexts[name];
  const variables: Record<string, string> = {};
  for (const spec of CONTEXT_KEYS) {
    const value = valueAt(context, spec.key);
    if (value === undefined || value === null) continue;
    if (spec.secret) {
      const secret = secretValue(file.path, name, spec, value, env);
      if (secret !== undefined) variables[spec.variable] = secret;
      continue;
    }
    if (Array.isArray(value) && spec.list) variables[spec.variable] = value.map(String).join(',');
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      variables[spec.variable] = spec.key === 'cache' || spec.key === 'kubeconfig' ? expandHome(String(value), env) : String(value);
    } else throw new UsageError(`${file.path}: context ${name}: ${spec.key} must be ${spec.list ? 'a list or ' : ''}a single value`);
  }
  return variables;
}

/** The context for this command: --thoth-context, else THOTH_CONTEXT, else the file's current-context; none when there is no file. */
export function chooseContext(file: ContextFile, flag: string | undefined, env: NodeJS.ProcessEnv): ChosenContext | undefined {
  const [name, chosenBy] =
    flag !== undefined
      ? [flag, '--thoth-context']
      : env.THOTH_CONTEXT
        ? [env.THOTH_CONTEXT, 'THOTH_CONTEXT']
        : [file.current, `current-context of ${file.path}`];
  if (name === undefined) return undefined;
  if (!Object.hasOwn(file.contexts, name)) {
    const names = Object.keys(file.contexts);
    throw new UsageError(
      names.length === 0
        ? `${chosenBy} names context "${name}", but ${file.path} ${file.exists ? 'defines no context' : 'does not exist'}`
        : `${chosenBy}: ${choiceRefusal('the context', name, names)}`,
    );
  }
  return { name, chosenBy, variables: contextVariables(file, name, env) };
}

/** `thoth config use-context NAME`: sets current-context, keeping the rest of the file (comments too) as written. */
export function writeCurrentContext(file: ContextFile, name: string): void {
  if (!Object.hasOwn(file.contexts, name)) {
    const names = Object.keys(file.contexts);
    throw new UsageError(
      names.length
        ? choiceRefusal('the context', name, names)
        : `${file.path} ${file.exists ? 'defines no context' : 'does not exist'}: add one first`,
    );
  }
  const doc = yaml().parseDocument(readFileSync(file.path, 'utf8'));
  doc.set('current-context', name);
  makeFolders(dirname(file.path));
  writeFileSync(file.path, doc.toString());
}
