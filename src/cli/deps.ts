/**
 * The one dependency object every command receives: lazy factories, so that
 * no command pays for a client it does not use (`thoth --help` loads neither
 * kafkajs nor the Kubernetes client nor ink). Tests pass only the fields a
 * command touches.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Io } from './io.js';
import type { Logger } from './log.js';
import type { Broker } from '../transport/port.js';
import type { Store } from '../store/index.js';
import type { KubeClient } from '../workflows/types.js';

export interface GlobalOptions {
  /** `kafka://host:port,...` or `embedded`; undefined means "decide from the environment". */
  broker?: string;
  db?: string;
  deploymentName?: string;
  quiet: boolean;
  verbose: boolean;
  color: boolean;
}

export interface KubeOptions {
  kubeconfig?: string;
  context?: string;
  /** Each API retry as a notice on stderr, not only with --verbose (`thoth submit`: a person is waiting). */
  retryNotices?: boolean;
}

export interface Deps {
  env: NodeJS.ProcessEnv;
  io: Io;
  now: () => number;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
  globals: GlobalOptions;
  log: Logger;
  /** Opens (once) the knowledge cache. `create: false` refuses a path that does not exist. */
  store(options?: { create?: boolean; readonly?: boolean }): Promise<Store>;
  /** Opens (once) the transport chosen by --broker / KAFKA_BOOTSTRAP_SERVERS, announcing it on stderr. */
  broker(): Promise<Broker>;
  /** Connects to the cluster from kubeconfig; throws a UserError when none is configured. */
  kube(options?: KubeOptions): Promise<KubeClient>;
  /** Closes whatever the factories opened. */
  close(): Promise<void>;
}

/** `--db`, else `$THOTH_HOME/thoth.db`, else `~/.thoth/thoth.db`. */
export function databasePath(globals: Pick<GlobalOptions, 'db'>, env: NodeJS.ProcessEnv): string {
  if (globals.db) return globals.db;
  const home = env.THOTH_HOME || join(homedir(), '.thoth');
  return join(home, 'thoth.db');
}

/** The deployment prefix for topic names: `--deployment-name`, else THOTH_DEPLOYMENT_NAME. */
export function deploymentName(globals: Pick<GlobalOptions, 'deploymentName'>, env: NodeJS.ProcessEnv): string | undefined {
  return globals.deploymentName ?? (env.THOTH_DEPLOYMENT_NAME || undefined);
}

export function createDeps(init: { env: NodeJS.ProcessEnv; io: Io; signal: AbortSignal; globals: GlobalOptions; log: Logger }): Deps {
  const opened: Array<() => Promise<void> | void> = [];
  const once = <T>(make: () => Promise<T>) => {
    let value: Promise<T> | undefined;
    return () => (value ??= make());
  };
  const stores = new Map<string, Promise<Store>>();

  const deps: Deps = {
    ...init,
    now: () => Date.now(),
    store: (options = {}) => {
      const mode = options.readonly ? 'ro' : options.create === false ? 'rw' : 'create';
      let store = stores.get(mode);
      if (!store) {
        store = import('../store/index.js').then(({ openStore }) => {
          const s = openStore(databasePath(init.globals, init.env), { create: mode === 'create', readonly: mode === 'ro' });
          opened.push(() => s.close());
          return s;
        });
        stores.set(mode, store);
      }
      return store;
    },
    broker: once(async () => {
      const { openBroker } = await import('../transport/select.js');
      const broker = await openBroker(deps);
      opened.push(() => broker.close());
      return broker;
    }),
    kube: (() => {
      let client: Promise<KubeClient> | undefined;
      return (options?: KubeOptions) =>
        (client ??= import('../workflows/kube.js').then(({ connectKube }) => connectKube({ env: init.env, log: init.log, ...options })));
    })(),
    close: async () => {
      for (const close of opened.reverse()) await close();
      opened.length = 0;
    },
  };
  return deps;
}
