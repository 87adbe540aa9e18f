/**
 * What a command receives (STYLE 2): the terminal, the clock, the settings,
 * and lazy factories for the clients, so that no command pays for a client
 * it does not use (`thoth --help` loads neither kafkajs nor the Kubernetes
 * client nor ink). Declared here so that commands need nothing from
 * src/cli; src/cli/context.ts implements it. Tests pass only the fields a
 * command touches. Nothing below src/commands receives it: commands hand
 * each service the ports it uses.
 */
import type { GlobalOptions, Settings } from '../config/settings.js';
import type { Clock } from '../core/clock.js';
import type { Io } from '../core/io.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../store/index.js';
import type { Broker } from '../transport/port.js';
import type { KnowledgeTransport } from '../transport/knowledge-port.js';
import type { KubeClient } from '../workflows/types.js';

export interface KubeOptions {
  kubeconfig?: string;
  context?: string;
  /** Each API retry as a notice on stderr, not only with --verbose (`thoth submit`: a person is waiting). */
  retryNotices?: boolean;
}

export interface StoreOptions {
  /** false: refuse a path that does not exist instead of creating the cache. */
  create?: boolean;
  readonly?: boolean;
}

export interface CommandContext {
  io: Io;
  clock: Clock;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
  globals: GlobalOptions;
  settings: Settings;
  log: Logger;
  /** Opens (once per mode) the knowledge cache. */
  store(options?: StoreOptions): Promise<Store>;
  /** Opens (once) the broker the settings choose, announcing it on stderr. (A function property: handed on as it is.) */
  readonly broker: () => Promise<Broker>;
  /** Opens (once) the knowledge side of the same broker: the compacted knowledge topic, exactly-once consumption. */
  readonly knowledge: () => Promise<KnowledgeTransport>;
  /** Connects to the cluster from kubeconfig; throws a UserError when none is configured. */
  kube(options?: KubeOptions): Promise<KubeClient>;
  /**
   * Runs a synchronous call that may block for long (a user's `query sql`)
   * so that Ctrl-C still ends it at once.
   */
  blocking<T>(fn: () => T): T;
}
