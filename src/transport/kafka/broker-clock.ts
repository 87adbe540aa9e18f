/**
 * How far this machine's clock is from the Kafka broker's (`thoth doctor`).
 *
 * Kafka has no "what time is it" request, but the transaction coordinator
 * stamps a transaction's start with its own clock when the first partition
 * joins it, and DescribeTransactions (KIP-664, Kafka 3.0+) tells that stamp.
 * So, on connections of our own (kafkajs speaks neither DescribeTransactions
 * nor lets one request be timed alone), with the TLS and SASL settings of the
 * rest of thoth:
 *
 *   InitProducerId for a transactional id of the doctor's own
 *   (`<group>.doctor.<random>`, inside the investigator's `TransactionalId:<group>.`
 *   ACL), AddOffsetsToTxn for the group (the transaction starts; no topic is
 *   written, only __consumer_offsets gets the abort marker), DescribeTransactions,
 *   then EndTxn to abort: also when anything fails or the time is up.
 *
 * The stamp was taken between sending AddOffsetsToTxn and reading its answer,
 * so the broker's clock minus ours is the stamp minus the midpoint of the two,
 * give or take half the round trip (and a millisecond of rounding).
 * The transaction's own timeout is short, so even a doctor killed mid-way
 * leaves nothing open for long: the coordinator aborts it.
 */
import { randomUUID } from 'node:crypto';
import type { KafkaSettings } from '../../config/kafka.js';
import type { BrokerClockOptions, BrokerClockReading } from '../port.js';
import { saslLogin } from './sasl.js';
import {
  API,
  ERROR,
  VERSION,
  addOffsetsToTxnRequest,
  describeTransactionsRequest,
  endTxnRequest,
  errorName,
  findCoordinatorRequest,
  initProducerIdRequest,
  parseApiVersionRanges,
  parseDescribeTransactions,
  parseErrorOnly,
  parseFindCoordinator,
  parseInitProducerId,
  parseSaslAuthenticate,
  parseSaslHandshake,
  saslAuthenticateRequest,
  saslHandshakeRequest,
} from './wire.js';
import { WireConnection, apiTitle, type ApiName } from './wire-connection.js';

/** The coordinator aborts a transaction of ours left open after this long (a doctor killed mid-way). */
const TRANSACTION_TIMEOUT_MS = 10_000;
/** Of the time, kept back for the abort. */
const ABORT_RESERVE_MS = 1_000;
const RETRY_PAUSE_MS = 100;
/** Answers meaning "not yet, ask again" (the coordinator is loading, or the transaction topic is being made). */
const RETRIABLE: ReadonlySet<number> = new Set([
  ERROR.coordinatorLoadInProgress,
  ERROR.coordinatorNotAvailable,
  ERROR.concurrentTransactions,
]);
const TRANSACTION_COORDINATOR = 1;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Logs in with KAFKA_SASL_* (SaslHandshake v1, then SaslAuthenticate for each message of the mechanism). */
async function authenticate(connection: WireConnection, settings: KafkaSettings, left: () => number): Promise<void> {
  if (!settings.sasl) return;
  const login = saslLogin(settings.sasl);
  const shake = parseSaslHandshake(await connection.request('saslHandshake', saslHandshakeRequest(login.name), left()));
  if (shake.error !== 0)
    throw new Error(`${connection.address} does not offer SASL ${login.name} (it offers ${shake.mechanisms.join(', ') || 'none'})`);
  let message: Buffer | null = login.first();
  while (message !== null) {
    const answer = parseSaslAuthenticate(await connection.request('saslAuthenticate', saslAuthenticateRequest(message), left()));
    if (answer.error !== 0)
      throw new Error(
        `Kafka at ${connection.address} rejected the SASL credentials of user "${settings.sasl.username}" (${settings.sasl.mechanism})`,
      );
    message = login.next(answer.token);
  }
}

/** Asks `ask` again while the answer is one of RETRIABLE and time is left. */
async function retrying<T extends { error: number }>(ask: () => Promise<T>, left: () => number): Promise<T> {
  for (;;) {
    const answer = await ask();
    if (!RETRIABLE.has(answer.error) || left() <= RETRY_PAUSE_MS) return answer;
    await pause(RETRY_PAUSE_MS);
  }
}

/** The ACLs the check needs, for the line that says it was refused them. */
const aclsNeeded = (transactionalId: string, group: string) =>
  `not authorised: the doctor needs WRITE on TransactionalId:${transactionalId.startsWith(`${group}.`) ? `${group}. (prefixed, as the investigator)` : transactionalId} and READ on Group:${group}`;

/** A coordinator loading its transactions (a new cluster, a moved coordinator) is a passing state: a neutral line. */
const stillLoading = (timeoutMs: number): BrokerClockReading => ({
  unavailable: `the transaction coordinator was still loading its transactions after ${timeoutMs / 1000} s (a new cluster makes and loads __transaction_state on first use): run thoth doctor again in a moment`,
});

/** Reads the transaction coordinator's clock (see the top of this file). */
export async function brokerClock(settings: KafkaSettings, options: BrokerClockOptions): Promise<BrokerClockReading> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const endsAt = Date.now() + timeoutMs;
  // The measurement stops ABORT_RESERVE_MS before the end, so that the abort has its own time.
  const left = () => endsAt - ABORT_RESERVE_MS - Date.now();
  const transactionalId = options.transactionalId ?? `${options.group}.doctor.${randomUUID().slice(0, 8)}`;
  const open: WireConnection[] = [];
  let txn: { on: WireConnection; producerId: bigint; epoch: number } | undefined;
  try {
    let bootstrap: WireConnection | undefined;
    let last: unknown;
    for (const address of settings.brokers) {
      try {
        bootstrap = await WireConnection.open(address, settings, left());
        break;
      } catch (error) {
        last = error;
      }
    }
    if (!bootstrap) throw last instanceof Error ? last : new Error('no bootstrap broker accepted a connection');
    open.push(bootstrap);
    const ranges = parseApiVersionRanges(await bootstrap.request('apiVersions', Buffer.alloc(0), left()));
    if (!ranges.has(API.describeTransactions))
      return { unavailable: 'the broker cannot describe a transaction (DescribeTransactions needs Kafka 3.0 or later)' };
    const needed = (Object.keys(API) as ApiName[]).filter(
      (api) => api !== 'apiVersions' && (settings.sasl !== undefined || !api.startsWith('sasl')),
    );
    const unspoken = needed.find((api) => {
      const range = ranges.get(API[api]);
      return !range || VERSION[api].version < range[0] || VERSION[api].version > range[1];
    });
    if (unspoken)
      return { unavailable: `the broker does not speak ${apiTitle(unspoken)} v${VERSION[unspoken].version}, which this check uses` };
    await authenticate(bootstrap, settings, left);

    // The coordinator of a transactional id; asked again when it answers that it no longer is (it moved, or is just elected).
    let coordinator: WireConnection;
    let init: { error: number; producerId: bigint; epoch: number };
    for (;;) {
      const found = await retrying(
        async () =>
          parseFindCoordinator(
            await bootstrap.request('findCoordinator', findCoordinatorRequest(transactionalId, TRANSACTION_COORDINATOR), left()),
          ),
        left,
      );
      if (found.error === ERROR.transactionalIdAuthorizationFailed) return { unavailable: aclsNeeded(transactionalId, options.group) };
      if (found.error === ERROR.coordinatorLoadInProgress) return stillLoading(timeoutMs);
      if (found.error !== 0)
        throw new Error(
          `the broker found no transaction coordinator: ${errorName(found.error)}${found.message ? ` ${found.message}` : ''}`,
        );
      const address = `${found.host.includes(':') ? `[${found.host}]` : found.host}:${found.port}`;
      const known = open.find((c) => c.address === address);
      if (known) coordinator = known;
      else {
        coordinator = await WireConnection.open(address, settings, left());
        open.push(coordinator);
        await authenticate(coordinator, settings, left);
      }
      const on = coordinator;
      init = await retrying(
        async () =>
          parseInitProducerId(await on.request('initProducerId', initProducerIdRequest(transactionalId, TRANSACTION_TIMEOUT_MS), left())),
        left,
      );
      if (init.error !== ERROR.notCoordinator || left() <= RETRY_PAUSE_MS) break;
      await pause(RETRY_PAUSE_MS);
    }
    if (init.error === ERROR.transactionalIdAuthorizationFailed) return { unavailable: aclsNeeded(transactionalId, options.group) };
    if (init.error === ERROR.coordinatorLoadInProgress) return stillLoading(timeoutMs);
    if (init.error !== 0)
      throw new Error(`the transaction coordinator ${coordinator.address} refused a producer id: ${errorName(init.error)}`);

    // From here on a transaction may be open: the finally block aborts it.
    const on = coordinator;
    txn = { on, producerId: init.producerId, epoch: init.epoch };
    let sent = 0;
    let answered = 0;
    const added = await retrying(async () => {
      const request = addOffsetsToTxnRequest(transactionalId, init.producerId, init.epoch, options.group);
      sent = options.now();
      const answer = await on.request('addOffsetsToTxn', request, left());
      answered = options.now();
      return parseErrorOnly(answer, 'AddOffsetsToTxn');
    }, left);
    if (added.error === ERROR.transactionalIdAuthorizationFailed || added.error === ERROR.groupAuthorizationFailed)
      return { unavailable: aclsNeeded(transactionalId, options.group) };
    if (added.error === ERROR.coordinatorLoadInProgress) return stillLoading(timeoutMs);
    if (added.error !== 0)
      throw new Error(`the transaction coordinator ${coordinator.address} refused to start a transaction: ${errorName(added.error)}`);

    const described = parseDescribeTransactions(
      await coordinator.request('describeTransactions', describeTransactionsRequest([transactionalId]), left()),
    ).find((s) => s.transactionalId === transactionalId);
    if (!described) throw new Error(`the transaction coordinator ${coordinator.address} did not describe ${transactionalId}`);
    if (described.error === ERROR.transactionalIdAuthorizationFailed) return { unavailable: aclsNeeded(transactionalId, options.group) };
    if (described.error !== 0 || described.startTimeMs < 0)
      throw new Error(
        `the transaction coordinator ${coordinator.address} described ${transactionalId} without a start time (${described.error !== 0 ? errorName(described.error) : described.state})`,
      );
    return {
      aheadMs: (sent + answered) / 2 - described.startTimeMs,
      boundMs: (answered - sent) / 2 + 1,
      coordinator: coordinator.address,
      transactionalId,
    };
  } finally {
    if (txn) {
      const abort = endTxnRequest(transactionalId, txn.producerId, txn.epoch, false);
      // An abort of a transaction that never started is refused (INVALID_TXN_STATE): nothing was left open then either.
      await txn.on.request('endTxn', abort, Math.max(endsAt - Date.now(), 200)).catch(() => {});
    }
    for (const connection of open) connection.close();
  }
}
