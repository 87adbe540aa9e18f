/**
 * Envelope <-> transport record conversions, and the decoding of a consumed
 * record into a typed, validated message. Publish, tail and replay all go
 * through these, so what `tail -o ndjson` prints `replay` sends back unchanged.
 */
import type { ConsumedRecord, OutgoingRecord } from './broker-records.js';
import { findMessageType, MESSAGE_TYPES, type MessageType } from './catalogue.js';
import type { Envelope } from './envelope.js';
import { JsonObject, canonicalOfWritten, parseJsonText, readCanonical, toPlain, type JsonValue } from './json-text.js';
import { DEAD_LETTER_BASE_TOPIC, topicName } from './topics.js';
import { validateCanonical, validateMessage, type FieldError, type ValidationResult } from './validate.js';
import { pythonJson } from './wire-json.js';

export interface DecodedMessage {
  envelope: Envelope;
  /** Undefined when the topic carries no catalogue type (a raw topic, the dead-letter topic). */
  type?: MessageType;
  /** Undefined exactly when `type` is. */
  validation?: ValidationResult;
}

/**
 * A body as text -> its JSON value parsed without loss (json-text.ts) when it is a JSON object or
 * array, else undefined (the text itself is then the §7 value).
 */
export function bodyTree(raw: string | null): JsonValue | undefined {
  if (raw === null) return undefined;
  const first = raw.trimStart()[0];
  if (first !== '{' && first !== '[') return undefined;
  const parsed = parseJsonText(raw);
  return parsed.ok ? parsed.value : undefined;
}

/** A record's body read as canonical text (json-text.ts readCanonical), when it is. */
const canonicalBody = (record: ConsumedRecord) => (record.raw?.value || record.value === null ? undefined : readCanonical(record.value));

/** A consumed record as a §7 envelope: the full topic as consumed, the body parsed when it is JSON, its exact text kept. */
export function envelopeOfRecord(record: ConsumedRecord, read = canonicalBody(record)): Envelope {
  const canonical = read && canonicalOfWritten(read.plain, read.form);
  const tree = canonical?.value ?? (record.raw?.value ? undefined : bodyTree(record.value));
  const envelope: Envelope = {
    topic: record.topic,
    key: record.key,
    headers: record.headers,
    value: tree === undefined ? record.value : (canonical?.plain ?? toPlain(tree)),
    timestamp: record.timestamp,
    partition: record.partition,
    offset: record.offset,
    body: record.value,
  };
  if (tree !== undefined) envelope.tree = tree;
  if (record.raw) envelope.raw = record.raw;
  return envelope;
}

/** The catalogue type a topic carries, with or without a deployment prefix. */
export function typeOfTopic(topic: string, deploymentName?: string): MessageType | undefined {
  // Asked for every record consumed; a consumer reads few topics. Keyed by the strings as given (a
  // string's hash is kept with it), not by a key built for every record.
  let types = typeCache.get(deploymentName ?? '');
  if (types === undefined) typeCache.set(deploymentName ?? '', (types = new Map<string, MessageType | null>()));
  let type = types.get(topic);
  if (type === undefined) {
    type = catalogueTypeOf(topic, deploymentName) ?? null;
    if (types.size < 10_000) types.set(topic, type);
  }
  return type ?? undefined;
}

const typeCache = new Map<string, Map<string, MessageType | null>>();

function catalogueTypeOf(topic: string, deploymentName?: string): MessageType | undefined {
  const type = findMessageType(topic, deploymentName);
  // findMessageType also answers CLI names; a topic must match by topic name.
  if (type && (topic === type.baseTopic || topic.endsWith(`.${type.baseTopic}`))) return type;
  return MESSAGE_TYPES.find((t) => topic.endsWith(`.${t.baseTopic}`));
}

function notAnObject(value: unknown): FieldError[] {
  // Text that looks like JSON and is not: say why (too deep, cut short, ...), as the investigator does.
  if (typeof value === 'string' && /^\s*[[{]/.test(value)) {
    const parsed = parseJsonText(value);
    if (!parsed.ok)
      return [{ field: 'value', rule: 'json', message: `the body is not valid JSON (${parsed.reason} at character ${parsed.offset})` }];
  }
  const got =
    value === null
      ? 'an empty value'
      : typeof value === 'string'
        ? 'text that is not a JSON object'
        : `a JSON ${Array.isArray(value) ? 'array' : typeof value}`;
  return [{ field: 'value', rule: 'json-object', message: `the body must be a JSON object, got ${got}` }];
}

const notUtf8: FieldError = {
  field: 'value',
  rule: 'utf-8',
  message: 'the body is not valid UTF-8 text (a JSON message is UTF-8; its bytes are kept as they are)',
};

/**
 * What to validate: the lossless tree when the envelope has one, else its exact body parsed, else
 * the recorded value (a §7 line whose value is an object carries its tree).
 */
function valueToCheck(envelope: Envelope): unknown {
  if (envelope.tree !== undefined) return envelope.tree;
  if (typeof envelope.body === 'string') return bodyTree(envelope.body) ?? envelope.body;
  if (typeof envelope.value === 'string') return bodyTree(envelope.value) ?? envelope.value;
  return envelope.value;
}

/**
 * Decodes and validates one envelope against the type its topic carries. `canonical`: the envelope's value is what
 * JSON.parse read from canonical text (json-text.ts readCanonical): a valid body is then told without walking the
 * lossless value.
 */
export function decodeEnvelope(envelope: Envelope, deploymentName?: string, canonical = false): DecodedMessage {
  const type = typeOfTopic(envelope.topic, deploymentName);
  if (!type) return { envelope };
  if (envelope.raw?.value) return { envelope, type, validation: { ok: false, errors: [notUtf8] } };
  let validation: ValidationResult;
  let version: unknown;
  const plain = envelope.value;
  if (canonical && typeof plain === 'object' && plain !== null && !Array.isArray(plain) && envelope.tree !== undefined) {
    validation = validateCanonical(type, plain as Record<string, unknown>, envelope.tree);
    version = (plain as Record<string, unknown>).version;
  } else {
    const value = valueToCheck(envelope);
    // A body that is JSON but not an object is the model's to judge (pydantic takes a list of pairs); text that is not JSON is not.
    if (value === null || value === undefined || typeof value === 'string') {
      return { envelope, type, validation: { ok: false, errors: notAnObject(value ?? null) } };
    }
    validation = validateMessage(type, value);
    version = value instanceof JsonObject ? value.get('version') : (toPlain(value) as Record<string, unknown> | null)?.version;
  }
  // Handlers are chosen by (topic, version): a body of another version is not one thoth can read.
  if (typeof version === 'string' && version !== type.version) {
    const error = {
      field: 'version',
      rule: 'known-version',
      message: `field 'version' is "${version.slice(0, 40)}", but thoth reads ${type.name} ${type.version} only`,
    };
    return { envelope, type, validation: { ok: false, errors: [...(validation.ok ? [] : validation.errors), error] } };
  }
  return { envelope, type, validation };
}

export function decodeRecord(record: ConsumedRecord, deploymentName?: string): DecodedMessage {
  const read = canonicalBody(record);
  // Read from canonical text, the envelope's value is that reading (envelopeOfRecord).
  return decodeEnvelope(envelopeOfRecord(record, read), deploymentName, read !== undefined);
}

/**
 * The body to send for a recorded value: text as recorded, an object as
 * Python's json.dumps writes it (thoth-messaging's wire form), keys in the
 * recorded order, so that a recording of a Python producer replays byte for byte.
 */
export function bodyOfValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  return pythonJson(value);
}

/**
 * Where a recorded topic is replayed: a catalogue topic (or the dead-letter
 * topic) moves to the deployment when one is given, and a base topic always
 * gets the deployment prefix; any other topic is replayed as recorded.
 */
export function replayTopic(recorded: string, deploymentName?: string): string {
  const base = replayBaseOf(recorded);
  if (base === undefined) return recorded;
  if (recorded === base || deploymentName !== undefined) return topicName(base, deploymentName);
  return recorded;
}

const KNOWN_BASES = [...MESSAGE_TYPES.map((t) => t.baseTopic), DEAD_LETTER_BASE_TOPIC];
/** Recorded topic -> its catalogue base topic (or null); a stream names few topics, so this stays small. */
const baseCache = new Map<string, string | null>();

function replayBaseOf(recorded: string): string | undefined {
  let base = baseCache.get(recorded);
  if (base === undefined) {
    base = KNOWN_BASES.find((b) => recorded === b || recorded.endsWith(`.${b}`)) ?? null;
    if (baseCache.size < 10_000) baseCache.set(recorded, base);
  }
  return base ?? undefined;
}

/** The value to send for an envelope: the exact recorded text (`body`, else the envelope's) wins over re-serialising it. */
export function recordedValue(envelope: Envelope, body?: string | null): string | null {
  const exact = body !== undefined ? body : envelope.body;
  return exact !== undefined ? exact : bodyOfValue(envelope.value);
}

/** The record to send for an envelope; the exact recorded text (and bytes) win over re-serialising the value. */
export function outgoingOf(
  envelope: Envelope,
  topic: string,
  body?: string | null,
  keepTimestamp = true,
  keepPartition = false,
): OutgoingRecord {
  const record: OutgoingRecord = { topic, key: envelope.key, headers: envelope.headers, value: recordedValue(envelope, body) };
  if (envelope.raw) record.raw = envelope.raw;
  if (keepTimestamp) record.timestamp = envelope.timestamp;
  if (keepPartition && envelope.partition !== undefined) record.partition = envelope.partition;
  return record;
}
