/**
 * Turns kafkajs failures into thoth's typed errors. kafkajs errors are
 * recognised by name (no kafkajs import here), and messages name the broker
 * address but never credentials.
 */
import { PermanentError, TransientError, UserError } from '../../core/errors.js';
import { sleep } from '../../core/sleep.js';
import type { KafkaSettings } from '../../config/kafka.js';

interface KafkaJsLikeError extends Error {
  code?: string;
  type?: string;
  retriable?: boolean;
  cause?: unknown;
  originalError?: unknown;
}

const START_HINT = 'check KAFKA_BOOTSTRAP_SERVERS (or --broker) and that the broker is running; `npm run kafka:start` starts a local one';

/** The innermost error kafkajs wrapped (retries exceeded → connection error → socket error). */
export function rootCause(error: unknown): KafkaJsLikeError | undefined {
  let current = error as KafkaJsLikeError | undefined;
  for (let depth = 0; depth < 10 && current; depth += 1) {
    const inner = (current.cause ?? current.originalError) as KafkaJsLikeError | undefined;
    if (!inner || typeof inner !== 'object') break;
    current = inner;
  }
  return current;
}

function chain(error: unknown): KafkaJsLikeError[] {
  const errors: KafkaJsLikeError[] = [];
  let current = error as KafkaJsLikeError | undefined;
  while (current && typeof current === 'object' && errors.length < 10) {
    errors.push(current);
    current = (current.cause ?? current.originalError) as KafkaJsLikeError | undefined;
  }
  return errors;
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'timed out',
};

function reasonOf(error: unknown): string {
  const errors = chain(error);
  for (const e of errors) if (e.code && REASONS[e.code]) return REASONS[e.code];
  if (errors.some((e) => e.name === 'KafkaJSConnectionClosedError')) return 'connection closed by the server';
  // The broker's own answer, in its words: a refusal that mentions a timeout (INVALID_SESSION_TIMEOUT) is not one.
  const answer = errors.find((e) => e.name === 'KafkaJSProtocolError' && typeof e.type === 'string' && e.type !== 'REQUEST_TIMED_OUT');
  if (answer) return `${answer.type}: ${answer.message}`;
  if (errors.some((e) => /timeout/i.test(e.message) || e.name === 'KafkaJSRequestTimeoutError')) return 'timed out';
  // kafkajs reading an answer that is not there (a request timed out or cut off under it) fails with a TypeError of its own.
  const internal = errors.find((e) => e.name === 'TypeError');
  if (internal) return `no usable answer from the broker; kafkajs: ${internal.message}`;
  return rootCause(error)?.message ?? String(error);
}

function authenticationFailure(settings: KafkaSettings, error: unknown): UserError | undefined {
  const errors = chain(error);
  if (errors.some((e) => e.name === 'KafkaJSSASLAuthenticationError')) {
    return new UserError(
      `Kafka at ${settings.brokers.join(',')} rejected the SASL credentials of user "${settings.sasl?.username ?? ''}" (${settings.sasl?.mechanism ?? 'no mechanism'})`,
      'check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM',
    );
  }
  const tls = errors.find((e) => /certificate|ssl|tls|self.signed/i.test(`${e.code ?? ''} ${e.message}`));
  if (tls) {
    return new UserError(
      `TLS with Kafka at ${settings.brokers.join(',')} failed: ${tlsReason(tls)}`,
      'check KAFKA_SECURITY_PROTOCOL and KAFKA_SSL_CA_LOCATION / KAFKA_SSL_CERTIFICATE_LOCATION / KAFKA_SSL_KEY_LOCATION',
    );
  }
  return undefined;
}

/**
 * OpenSSL's text names a source file and an alert number; say what it means
 * instead where it is one of the common cases.
 */
function tlsReason(error: KafkaJsLikeError): string {
  const raw = `${error.code ?? ''} ${error.message}`;
  if (/alert (bad certificate|certificate required|unknown ca)/i.test(raw)) {
    return 'the broker refused the client certificate (none was sent, or the broker does not trust its CA); set KAFKA_SSL_CERTIFICATE_LOCATION and KAFKA_SSL_KEY_LOCATION';
  }
  if (/wrong version number|packet length too long/i.test(raw))
    return 'the listener does not speak TLS (is KAFKA_SECURITY_PROTOCOL right?)';
  return error.code ?? error.message.split(':../')[0].trim();
}

/** The broker could not be reached when the transport opened: exit 1 with a hint. */
export function unreachable(settings: KafkaSettings, error: unknown, elapsedMs: number): UserError {
  const auth = authenticationFailure(settings, error);
  if (auth) return auth;
  const seconds = (elapsedMs / 1000).toFixed(1);
  const reason = reasonOf(error);
  // A TLS or SASL listener drops a client that speaks plain Kafka to it.
  const hint =
    reason === 'connection closed by the server' && !settings.ssl && !settings.sasl
      ? 'the broker closed the connection: if its listener uses TLS or SASL, set KAFKA_SECURITY_PROTOCOL (SSL, SASL_SSL, SASL_PLAINTEXT) and its settings'
      : START_HINT;
  return new UserError(`cannot reach Kafka at ${settings.brokers.join(',')} (${reason}) after ${seconds}s`, hint);
}

/**
 * kafkajs' way of saying the first request timed out: it then counts the connection as
 * open, and the next request finds no broker versions behind it.
 */
export function isUnanswered(error: unknown): boolean {
  return chain(error).some(
    (e) => e.message === 'Broker not connected' || (e.name === 'KafkaJSRequestTimeoutError' && /ApiVersions/.test(e.message)),
  );
}

/** No Kafka answer within `waitedMs`: nothing reachable there, a wrong port, or a hung broker. */
export function noAnswer(settings: KafkaSettings, waitedMs: number): UserError {
  return new UserError(
    `cannot reach Kafka at ${settings.brokers.join(',')} (no answer within ${Math.round(waitedMs / 1000)}s)`,
    'check that a Kafka broker is up and listening at that address (KAFKA_BOOTSTRAP_SERVERS or --broker): a wrong port or a hung broker accepts connections but does not answer Kafka requests',
  );
}

/**
 * What the broker refuses for a record or a topic, and refuses the same way whatever the number of
 * tries: retrying it would hold the partition for ever. Topic-scoped ones are marked: a command
 * sending to several topics reports them per topic.
 */
const REFUSED: Record<string, { topic?: true }> = {
  MESSAGE_TOO_LARGE: {},
  RECORD_LIST_TOO_LARGE: {},
  INVALID_RECORD: {},
  INVALID_TIMESTAMP: {},
  UNSUPPORTED_COMPRESSION_TYPE: {},
  UNSUPPORTED_FOR_MESSAGE_FORMAT: {},
  INVALID_REQUIRED_ACKS: {},
  POLICY_VIOLATION: {},
  INVALID_TOPIC_EXCEPTION: { topic: true },
  TOPIC_AUTHORIZATION_FAILED: { topic: true },
  UNKNOWN_TOPIC_OR_PARTITION: { topic: true },
  TOPIC_DELETION_DISABLED: { topic: true },
};

/** MESSAGE_TOO_LARGE -> MessageTooLarge: the error class of a dead letter. */
function errorClassOf(type: string): string {
  return type
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/** A permanent refusal by the broker, with its reason; `topicScoped` where it is about the topic rather than the record. */
export class BrokerRefusal extends PermanentError {
  override readonly hint?: string;
  constructor(
    errorClass: string,
    message: string,
    readonly kafkaType: string,
    readonly topicScoped: boolean,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(errorClass, message, options);
    this.hint = options?.hint;
  }
}

const TOPIC_REFUSALS: Record<string, { says: (type: string) => string; hint: string }> = {
  UNKNOWN_TOPIC_OR_PARTITION: {
    says: () => 'the topic does not exist',
    hint: 'create it with `thoth topics create`, or enable auto.create.topics.enable',
  },
  TOPIC_AUTHORIZATION_FAILED: {
    says: (type) => `not authorised (${type})`,
    hint: 'ask the cluster admin for ACLs on these topics and groups',
  },
};

/** The broker's permanent refusal in a kafkajs failure, if it is one. */
function refusal(settings: KafkaSettings, errors: KafkaJsLikeError[], doing: string, cause: unknown): BrokerRefusal | undefined {
  const refused = errors.find((e) => typeof e.type === 'string' && REFUSED[e.type] !== undefined);
  if (!refused?.type) return undefined;
  const type = refused.type;
  const known = TOPIC_REFUSALS[type];
  const where = `Kafka at ${settings.brokers.join(',')}: ${doing}`;
  return new BrokerRefusal(
    errorClassOf(type),
    known ? `${where}: ${known.says(type)}` : `${where}: the broker refused it: ${refused.message} (${type})`,
    type,
    REFUSED[type].topic === true,
    { cause, hint: known?.hint },
  );
}

/**
 * A failure while working with a broker that was reachable: transient unless it is about
 * credentials, or the broker refused it for good (a record too large, a topic that is invalid,
 * missing or forbidden): that is a PermanentError (a BrokerRefusal) carrying the broker's reason,
 * which the investigator dead-letters and a command reports.
 */
export function describeKafkaFailure(settings: KafkaSettings, error: unknown, doing: string): UserError {
  const errors = chain(error);
  // thoth's own refusal, thrown from inside kafkajs (the partitioner) and wrapped by it, is told as it is.
  const own = errors.find((e): e is UserError => e instanceof UserError);
  if (own) return own;
  const auth = authenticationFailure(settings, error);
  if (auth) return auth;
  const refused = refusal(settings, errors, doing, error);
  if (refused) return refused;
  if (errors.some((e) => e.type === 'INVALID_SESSION_TIMEOUT')) {
    const given = settings.client?.sessionTimeoutMs;
    return new UserError(
      `Kafka at ${settings.brokers.join(',')}: ${doing}: the broker refuses the group session timeout${given === undefined ? '' : ` of ${given} ms`} (INVALID_SESSION_TIMEOUT): it must lie within the broker's group.min.session.timeout.ms and group.max.session.timeout.ms`,
      given === undefined
        ? 'give one within that range with --kafka-option session.timeout.ms=MS'
        : "give session.timeout.ms within that range (Kafka's defaults: 6000 to 1800000 ms)",
    );
  }
  const authorization = errors.find((e) => typeof e.type === 'string' && e.type.endsWith('_AUTHORIZATION_FAILED'));
  if (authorization) {
    return new UserError(
      `Kafka at ${settings.brokers.join(',')}: ${doing}: not authorised (${authorization.type})`,
      'ask the cluster admin for ACLs on these topics and groups',
    );
  }
  return new TransientError(`Kafka at ${settings.brokers.join(',')}: ${doing} failed (${reasonOf(error)})`, undefined, { cause: error });
}

const SETTLING = new Set([
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_LEADER_EPOCH',
  'NOT_COORDINATOR',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
]);

/** A failure kafkajs marks retriable, or a cluster still electing leaders (right after topics are created). */
export function isRetriableKafkaFailure(error: unknown): boolean {
  return chain(error).some((e) => (typeof e.type === 'string' && SETTLING.has(e.type)) || e.retriable === true);
}

/**
 * Runs `attempt` until it succeeds, a failure is not retriable, the signal
 * aborts, or `budgetMs` has passed: metadata and offsets of topics created a
 * moment ago fail with "not the leader" until the election settles.
 */
export async function retryWhileSettling<T>(attempt: () => Promise<T>, signal: AbortSignal, budgetMs = 30_000): Promise<T> {
  const started = Date.now();
  for (let round = 0; ; round += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!isRetriableKafkaFailure(error) || signal.aborted || Date.now() - started > budgetMs) throw error;
      await sleep(Math.min(2_000, 100 * 2 ** round), signal);
    }
  }
}

/** Whether the failure carries this Kafka error type (its own, or a cause's). */
export function hasKafkaErrorType(error: unknown, type: string): boolean {
  return chain(error).some((e) => e.type === type);
}
