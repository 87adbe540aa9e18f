/**
 * `thoth doctor`: one check per thing the loop needs, each ok, failed (with
 * the fix) or skipped (nothing of that kind is configured: a neutral line, not
 * a failure). Every check catches its own errors, so one broken piece never
 * hides the state of the others.
 */
import { UserError } from '../core/errors.js';
import type { Store } from '../store/index.js';
import type { Broker } from '../transport/port.js';

export type CheckStatus = 'ok' | 'fail' | 'skip';

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a failure. */
  fix?: string;
  /** Clock checks: this machine's clock minus the other's, in ms (positive: this machine is ahead). */
  aheadMs?: number;
  /** Clock checks: the reading is right to within this many ms either way. */
  boundMs?: number;
}

/** The part of the Kubernetes client the doctor asks (src/workflows/types.ts KubeClient). */
export interface DoctorKube {
  readonly description: string;
  readonly defaultNamespace?: { namespace: string };
  readonly diagnostics?: {
    server(): Promise<{ version: string; date?: number }>;
    resources(group: string, version: string): Promise<string[] | undefined>;
    canI(verb: string, group: string, resource: string, namespace: string): Promise<boolean>;
  };
}

export interface DoctorInput {
  broker(): Promise<Broker>;
  /** The cache, read-only; null when there is none yet (the first investigator run creates it). */
  store(): Promise<Pick<Store, 'path' | 'stats' | 'sql' | 'registeredIndexes'> | null>;
  cachePath: string;
  /** Resolves null when no cluster is configured (the reason in `why`). */
  kube(): Promise<{ kube: DoctorKube } | { none: string }>;
  /** The topics the investigator reads and writes (full names). */
  topics: string[];
  group: string;
  indexUrls: readonly string[];
  /** Where workflows go; empty when no namespace is configured. */
  namespaces: string[];
  schemaVersion: number;
  now(): number;
  /** Time for the broker clock check, its clean-up included (default 5 s). */
  brokerClockTimeoutMs?: number;
}

/** The verbs deploy/investigator/role.yaml grants: what the investigator does with workflows. */
export const INVESTIGATOR_VERBS = ['create', 'get', 'list'] as const;
/** Clocks further apart than this break workflow times and `--since`. */
export const MAX_SKEW_MS = 5_000;

/** Time for the broker clock check, aborting its transaction included. */
export const BROKER_CLOCK_TIMEOUT_MS = 5_000;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function failureOf(name: string, error: unknown, fix?: string): Check {
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof UserError ? error.hint : undefined;
  return { name, status: 'fail', detail: message, ...((hint ?? fix) ? { fix: hint ?? fix } : {}) };
}

async function brokerChecks(input: DoctorInput): Promise<Check[]> {
  let broker: Broker;
  try {
    broker = await input.broker();
  } catch (error) {
    const skipped = (name: string) => ({ name, status: 'skip' as const, detail: 'the broker is not reachable' });
    return [
      failureOf('broker', error, 'check KAFKA_BOOTSTRAP_SERVERS / --broker'),
      skipped('topics'),
      skipped('consumer lag'),
      skipped('broker clock'),
    ];
  }
  const checks: Check[] = [];
  if (broker.kind === 'embedded') checks.push({ name: 'broker', status: 'ok', detail: `embedded, in ${broker.address}` });
  else {
    try {
      const cluster = await broker.cluster!();
      checks.push({
        name: 'broker',
        status: 'ok',
        detail: `${broker.address} reachable: ${cluster.release ?? 'Kafka'} cluster ${cluster.clusterId}, ${plural(cluster.brokers.length, 'broker')}${cluster.controller === null ? '' : `, controller ${cluster.controller}`}`,
      });
    } catch (error) {
      checks.push(failureOf('broker', error));
    }
  }
  try {
    const existing = new Map((await broker.topics(input.topics)).map((t) => [t.name, t]));
    const missing = input.topics.filter((t) => !existing.has(t));
    const present = input.topics.flatMap((t) => existing.get(t) ?? []);
    const partitions = [...new Set(present.map((t) => t.partitions))].sort((a, b) => a - b);
    const compression = [...new Set(present.map((t) => t.config?.['compression.type'] ?? (broker.kind === 'kafka' ? 'producer' : 'none')))];
    const shape = present.length
      ? `; ${partitions.join('/')} partition${partitions.length === 1 && partitions[0] === 1 ? '' : 's'} each, compression ${compression.join(', ')}`
      : '';
    checks.push(
      missing.length === 0
        ? { name: 'topics', status: 'ok', detail: `all ${input.topics.length} present${shape}` }
        : {
            name: 'topics',
            status: 'fail',
            detail: `${missing.length} of ${input.topics.length} missing: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}${shape}`,
            fix: 'thoth topics create',
          },
    );
  } catch (error) {
    checks.push(failureOf('topics', error));
  }
  try {
    const lag = await broker.groupLag(input.group, input.topics);
    const committed = lag.filter((p) => p.committed !== null);
    const total = lag.reduce((sum, p) => sum + p.lag, 0);
    const behind = lag.filter((p) => p.lag > 0);
    const worst = behind.sort((a, b) => b.lag - a.lag)[0];
    checks.push({
      name: 'consumer lag',
      status: 'ok',
      detail:
        committed.length === 0
          ? `group ${input.group} has committed nothing yet (${plural(total, 'record')} waiting)`
          : `group ${input.group}: ${plural(total, 'record')} behind on ${plural(behind.length, 'partition')} of ${lag.length}${worst ? ` (most: ${worst.topic}[${worst.partition}] ${worst.lag})` : ''}`,
    });
  } catch (error) {
    checks.push(failureOf('consumer lag', error));
  }
  checks.push(await brokerClockCheck(broker, input));
  return checks;
}

/** "0.4 s ahead of the broker's": how this machine's clock stands to another. */
const clockOffset = (aheadMs: number, whose: string) =>
  `${(Math.abs(aheadMs) / 1000).toFixed(1)} s ${aheadMs < 0 ? 'behind' : 'ahead of'} ${whose}`;

const CLOCK_FIX = "synchronise this machine's clock (chrony or ntpd: timedatectl set-ntp true), or the broker's if this one is right";

async function brokerClockCheck(broker: Broker, input: DoctorInput): Promise<Check> {
  const name = 'broker clock';
  if (broker.kind === 'embedded')
    return { name, status: 'skip', detail: "the embedded broker runs on this machine: it stamps records with this machine's clock" };
  if (!broker.clock) return { name, status: 'skip', detail: 'this broker cannot be asked for its clock' };
  try {
    const reading = await broker.clock({
      group: input.group,
      now: () => input.now(),
      timeoutMs: input.brokerClockTimeoutMs ?? BROKER_CLOCK_TIMEOUT_MS,
    });
    if ('unavailable' in reading) return { name, status: 'skip', detail: `cannot ask the broker's clock: ${reading.unavailable}` };
    const aheadMs = Math.round(reading.aheadMs);
    const boundMs = Math.ceil(reading.boundMs);
    const detail = `this machine's clock is ${clockOffset(aheadMs, "the broker's")} (± ${boundMs} ms)`;
    // Failed only when certainly beyond the tolerance, as the API server's check.
    return Math.abs(aheadMs) <= MAX_SKEW_MS + boundMs
      ? { name, status: 'ok', detail, aheadMs, boundMs }
      : { name, status: 'fail', detail, fix: CLOCK_FIX, aheadMs, boundMs };
  } catch (error) {
    return failureOf(
      name,
      error,
      "the investigator's exactly-once commits need the transaction coordinator too: check the broker's log (__transaction_state)",
    );
  }
}

function indexCheck(indexes: string[]): Check {
  return indexes.length > 0
    ? {
        name: 'indexes',
        status: 'ok',
        detail: `${indexes.length} registered ${indexes.length === 1 ? 'index' : 'indexes'}: ${indexes.join(', ')}`,
      }
    : {
        name: 'indexes',
        status: 'fail',
        detail: 'no package index is registered: every message naming one is dead-lettered',
        fix: 'set THOTH_INDEX_URLS (or thoth investigate --index-url URL)',
      };
}

async function cacheChecks(input: DoctorInput): Promise<Check[]> {
  let store;
  try {
    store = await input.store();
  } catch (error) {
    return [failureOf('cache', error), { name: 'indexes', status: 'skip', detail: 'the cache cannot be read' }];
  }
  if (store === null) {
    const indexes = [...input.indexUrls].sort();
    return [
      { name: 'cache', status: 'skip', detail: `no cache yet at ${input.cachePath}: the first investigator run creates it` },
      indexCheck(indexes),
    ];
  }
  const checks: Check[] = [];
  try {
    const stats = store.stats();
    const integrity = store.sql('PRAGMA quick_check').rows.map((r) => String(Object.values(r)[0]));
    const ok = integrity.length === 1 && integrity[0] === 'ok';
    if (stats.schema_version !== input.schemaVersion)
      checks.push({
        name: 'cache',
        status: 'fail',
        detail: `${store.path}: schema version ${stats.schema_version}, this thoth writes ${input.schemaVersion}`,
        fix: 'open it once with a command that writes (thoth investigate) to upgrade it',
      });
    else if (!ok)
      checks.push({
        name: 'cache',
        status: 'fail',
        detail: `${store.path}: integrity check failed: ${integrity.slice(0, 2).join('; ')}`,
        fix: 'restore it from a backup, or move it aside and let the investigator rebuild it',
      });
    else checks.push({ name: 'cache', status: 'ok', detail: `${store.path}: schema version ${stats.schema_version}, integrity ok` });
  } catch (error) {
    checks.push(failureOf('cache', error));
  }
  try {
    const indexes = [...new Set([...store.registeredIndexes(), ...input.indexUrls])].sort();
    checks.push(indexCheck(indexes));
  } catch (error) {
    checks.push(failureOf('indexes', error));
  }
  return checks;
}

async function clusterChecks(input: DoctorInput): Promise<Check[]> {
  const names = ['kube context', 'argo CRDs', 'RBAC', 'clock'];
  let found;
  try {
    found = await input.kube();
  } catch (error) {
    return [
      failureOf('kube context', error),
      ...names.slice(1).map((name) => ({ name, status: 'skip' as const, detail: 'no cluster to ask' })),
    ];
  }
  if ('none' in found)
    return names.map((name, i) => ({ name, status: 'skip' as const, detail: i === 0 ? found.none : 'no cluster configured' }));
  const { kube } = found;
  const diag = kube.diagnostics;
  if (!diag) return names.map((name) => ({ name, status: 'skip' as const, detail: 'this client cannot ask the API server' }));
  const checks: Check[] = [];
  let date: number | undefined;
  const asked = input.now();
  try {
    const server = await diag.server();
    date = server.date;
    checks.push({ name: 'kube context', status: 'ok', detail: `${kube.description}: Kubernetes ${server.version}` });
  } catch (error) {
    checks.push(failureOf('kube context', error, 'check the kubeconfig context (kubectl cluster-info)'));
    return [...checks, ...names.slice(1).map((name) => ({ name, status: 'skip' as const, detail: 'the API server is not reachable' }))];
  }
  try {
    const resources = await diag.resources('argoproj.io', 'v1alpha1');
    const wanted = ['workflows', 'workflowtemplates'];
    const missing = wanted.filter((r) => !resources?.includes(r));
    checks.push(
      missing.length === 0
        ? { name: 'argo CRDs', status: 'ok', detail: 'workflows and workflowtemplates.argoproj.io are served' }
        : {
            name: 'argo CRDs',
            status: 'fail',
            detail: `${missing.map((r) => `${r}.argoproj.io`).join(' and ')} not served by the API server`,
            fix: 'install Argo Workflows (its CRDs and controller), then kubectl apply -k deploy/',
          },
    );
  } catch (error) {
    checks.push(failureOf('argo CRDs', error));
  }
  const namespaces = input.namespaces.length > 0 ? input.namespaces : kube.defaultNamespace ? [kube.defaultNamespace.namespace] : [];
  if (namespaces.length === 0)
    checks.push({ name: 'RBAC', status: 'skip', detail: 'no namespace configured (THOTH_MIDDLETIER_NAMESPACE, THOTH_BACKEND_NAMESPACE)' });
  else {
    try {
      const denied: string[] = [];
      for (const namespace of namespaces)
        for (const verb of INVESTIGATOR_VERBS)
          if (!(await diag.canI(verb, 'argoproj.io', 'workflows', namespace))) denied.push(`${verb} in ${namespace}`);
      checks.push(
        denied.length === 0
          ? { name: 'RBAC', status: 'ok', detail: `may ${INVESTIGATOR_VERBS.join(', ')} workflows in ${namespaces.join(', ')}` }
          : {
              name: 'RBAC',
              status: 'fail',
              detail: `may not ${denied.join(', ')} (workflows.argoproj.io)`,
              fix: `kubectl apply -n NAMESPACE -f deploy/investigator/role.yaml -f deploy/investigator/rolebinding.yaml`,
            },
      );
    } catch (error) {
      checks.push(failureOf('RBAC', error));
    }
  }
  if (date === undefined) checks.push({ name: 'clock', status: 'skip', detail: 'the API server sent no Date header' });
  else {
    // The Date header has whole seconds: the skew is known to within about a second.
    const skew = date - (asked + input.now()) / 2;
    const reading = { aheadMs: Math.round(-skew), boundMs: 1_000 };
    const seconds = clockOffset(reading.aheadMs, "the API server's");
    checks.push(
      Math.abs(skew) <= MAX_SKEW_MS + 1_000
        ? { name: 'clock', status: 'ok', detail: `this machine's clock is ${seconds}`, ...reading }
        : {
            name: 'clock',
            status: 'fail',
            detail: `this machine's clock is ${seconds}`,
            fix: 'synchronise the clock (NTP: timedatectl set-ntp true)',
            ...reading,
          },
    );
  }
  return checks;
}

/** Every check, in a fixed order: broker, topics, lag, broker clock, cache, indexes, kube context, Argo CRDs, RBAC, clock. */
export async function runDoctor(input: DoctorInput): Promise<Check[]> {
  return [...(await brokerChecks(input)), ...(await cacheChecks(input)), ...(await clusterChecks(input))];
}
