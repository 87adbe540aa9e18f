/**
 * Which broker a command uses (SPEC §6): Kafka when `--broker kafka://...`
 * or KAFKA_BOOTSTRAP_SERVERS says so, otherwise the embedded broker in the
 * local cache file.
 */
import { UsageError } from '../core/errors.js';

export type BrokerChoice = { kind: 'kafka'; bootstrap: string[] } | { kind: 'embedded'; path: string };

/** A server as an error may show it: any user info (`alice:PW@`) is masked, never echoed. */
function shownServer(text: string): string {
  return text.replace(/^(?:[a-z][a-z0-9+.-]*:\/\/)?[^@]*@/i, (m) => `${m.includes('//') ? m.slice(0, m.indexOf('//') + 2) : ''}***@`);
}

const NO_USER_INFO_HINT = 'credentials go in KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or -X sasl.username=NAME), never in the address';

function splitServers(list: string, source: string): string[] {
  const servers = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = servers.find((s) => !/^[^\s:/]+:\d{1,5}$/.test(s) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(s));
  if (bad?.includes('@')) {
    throw new UsageError(`${source}: a bootstrap server is host:port, without user info, got "${shownServer(bad)}"`, NO_USER_INFO_HINT);
  }
  if (servers.length === 0 || bad !== undefined) {
    throw new UsageError(`${source}: each bootstrap server must be host:port${bad ? `, got "${bad}"` : ''}`);
  }
  return servers;
}

/**
 * `flag` is --broker (or kcat's -b), `bootstrapServers` KAFKA_BOOTSTRAP_SERVERS, `cachePath` the
 * embedded broker's file. Kafka is `host:port[,host:port...]`, with or without `kafka://`.
 */
export function chooseBroker(flag: string | undefined, bootstrapServers: string | undefined, cachePath: string): BrokerChoice {
  if (flag !== undefined) {
    if (flag === 'embedded') return { kind: 'embedded', path: cachePath };
    const list = flag.startsWith('kafka://') ? flag.slice('kafka://'.length) : flag;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(list)) {
      throw new UsageError(
        `--broker must be "embedded" or host:port[,host:port...] (kafka:// may stand before it), got "${shownServer(flag)}"`,
      );
    }
    return { kind: 'kafka', bootstrap: splitServers(list, '--broker') };
  }
  // A context may say `broker: embedded`.
  if (bootstrapServers?.trim() === 'embedded') return { kind: 'embedded', path: cachePath };
  if (bootstrapServers)
    return { kind: 'kafka', bootstrap: splitServers(bootstrapServers.replace(/^kafka:\/\//, ''), 'KAFKA_BOOTSTRAP_SERVERS') };
  return { kind: 'embedded', path: cachePath };
}
