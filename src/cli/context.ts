/**
 * The command context (src/commands/context.ts) for a real run: lazy
 * factories, so that no command pays for a client it does not use (`thoth
 * --help` loads neither kafkajs nor the Kubernetes client nor ink), each
 * client opened once and closed when the command ends.
 */
import type { KubeOptions, StoreOptions, CommandContext } from '../commands/context.js';
import type { GlobalOptions, Settings } from '../config/settings.js';
import type { Clock } from '../core/clock.js';
import type { Io } from '../core/io.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../store/index.js';
import type { Broker } from '../transport/port.js';
import type { KnowledgeTransport } from '../transport/knowledge-port.js';
import type { KubeClient } from '../workflows/types.js';
import { withDefaultSignals } from './signals.js';

export interface ProcessContext extends CommandContext {
  /** Closes whatever the factories opened. */
  close(): Promise<void>;
}

export function createContext(init: {
  io: Io;
  clock: Clock;
  signal: AbortSignal;
  globals: GlobalOptions;
  settings: Settings;
  log: Logger;
}): ProcessContext {
  const { settings, log } = init;
  const opened: Array<() => Promise<void> | void> = [];
  const stores = new Map<string, Promise<Store>>();
  const warned = new Set<string>();
  let broker: Promise<Broker> | undefined;
  let knowledge: Promise<KnowledgeTransport> | undefined;
  let kube: Promise<KubeClient> | undefined;

  // How long a command waits, on timers, for a cache another process holds locked (lock-wait.ts).
  // Read when a cache is opened, so that a bad THOTH_CACHE_WAIT fails only the commands that use one.
  const lockWait = () => ({
    boundMs: settings.cacheWaitMs,
    boundName: 'THOTH_CACHE_WAIT',
    signal: init.signal,
    onWait: (text: string) => log.warn(text),
  });

  const store = (options: StoreOptions = {}): Promise<Store> => {
    const mode = options.readonly ? 'ro' : options.create === false ? 'rw' : 'create';
    let opening = stores.get(mode);
    if (!opening) {
      opening = import('../store/index.js').then(async ({ openStoreWhenUnlocked }) => {
        const s = await openStoreWhenUnlocked(settings.cachePath, {
          create: mode === 'create',
          readonly: mode === 'ro',
          indexUrls: settings.indexUrlsAsWritten,
          clock: init.clock,
          warn: (text) => {
            if (warned.has(text)) return;
            warned.add(text);
            log.warn(text);
          },
          wait: lockWait(),
        });
        opened.push(() => s.close());
        return s;
      });
      stores.set(mode, opening);
    }
    return opening;
  };

  return {
    ...init,
    store,
    broker: () =>
      (broker ??= import('../transport/open-broker.js').then(async ({ openBroker }) => {
        const opening = await openBroker({
          choice: settings.broker,
          kafka: (bootstrap) => settings.kafka(bootstrap),
          store: () => store({ create: true }),
          log,
          maxMessageBytes: settings.maxMessageBytes,
          lockWait: lockWait(),
          announce: Boolean(init.io.stderr.isTTY),
        });
        opened.push(() => opening.close());
        return opening;
      })),
    knowledge: () =>
      (knowledge ??= import('../transport/open-knowledge.js').then(async ({ openKnowledgeTransport }) => {
        const opening = await openKnowledgeTransport({
          choice: settings.broker,
          kafka: (bootstrap) => settings.kafka(bootstrap),
          store: () => store({ create: true }),
          log,
        });
        opened.push(() => opening.close());
        return opening;
      })),
    kube: (options: KubeOptions = {}) =>
      (kube ??= import('../kube/client.js').then(({ connectKube }) =>
        connectKube({ cluster: settings.kube, log, ...options, context: options.context ?? settings.kube.context }),
      )),
    blocking: (fn) => withDefaultSignals(fn),
    close: async () => {
      for (const close of opened.reverse()) await close();
      opened.length = 0;
    },
  };
}
