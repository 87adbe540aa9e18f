/**
 * Chooses the transport: Kafka when `--broker kafka://...` or
 * KAFKA_BOOTSTRAP_SERVERS says so, otherwise the embedded broker in the local
 * SQLite file. One notice on stderr says which.
 */
import type { Deps } from '../cli/deps.js';
import { databasePath } from '../cli/deps.js';
import { UsageError } from '../cli/errors.js';
import type { Broker } from './port.js';

export type BrokerChoice = { kind: 'kafka'; bootstrap: string[] } | { kind: 'embedded'; path: string };

export function chooseBroker(deps: Pick<Deps, 'globals' | 'env'>): BrokerChoice {
  const flag = deps.globals.broker;
  if (flag !== undefined) {
    if (flag === 'embedded') return { kind: 'embedded', path: databasePath(deps.globals, deps.env) };
    if (flag.startsWith('kafka://')) return { kind: 'kafka', bootstrap: splitServers(flag.slice('kafka://'.length), '--broker') };
    throw new UsageError(`--broker must be "embedded" or kafka://host:port[,host:port...], got "${flag}"`);
  }
  const servers = deps.env.KAFKA_BOOTSTRAP_SERVERS;
  if (servers) return { kind: 'kafka', bootstrap: splitServers(servers.replace(/^kafka:\/\//, ''), 'KAFKA_BOOTSTRAP_SERVERS') };
  return { kind: 'embedded', path: databasePath(deps.globals, deps.env) };
}

function splitServers(list: string, source: string): string[] {
  const servers = list.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = servers.find((s) => !/^[^\s:/]+:\d{1,5}$/.test(s) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(s));
  if (servers.length === 0 || bad !== undefined) {
    throw new UsageError(`${source}: each bootstrap server must be host:port${bad ? `, got "${bad}"` : ''}`);
  }
  return servers;
}

export async function openBroker(deps: Deps): Promise<Broker> {
  const choice = chooseBroker(deps);
  if (choice.kind === 'kafka') {
    const { openKafka } = await import('./kafka.js');
    const broker = await openKafka(choice.bootstrap, deps.env, deps.log);
    deps.log.notice(`broker: Kafka at ${broker.address}`);
    return broker;
  }
  const { openEmbeddedBroker } = await import('./embedded.js');
  const store = await deps.store({ create: true });
  const broker = openEmbeddedBroker(store, choice.path);
  deps.log.notice(`broker: embedded (${choice.path}); set KAFKA_BOOTSTRAP_SERVERS or --broker kafka://host:port for Kafka`);
  return broker;
}
