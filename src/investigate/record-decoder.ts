/**
 * From a consumed record to a typed, validated message, or a PermanentError
 * whose class and reason end up in the dead-letter headers. Each rule has its
 * own error class so that an operator can tell a truncated body from a
 * producer on a newer schema version.
 */
import { PermanentError } from '../core/errors.js';
import type { MessageType } from '../messages/catalogue.js';
import { typeOfTopic } from '../messages/records.js';
import { JsonObject, parseJsonText, toPlain } from '../messages/json-text.js';
import { formatErrors, validateMessage, type Message } from '../messages/validate.js';
import type { ConsumedRecord } from '../transport/port.js';
import { handlerFor } from './dispatch.js';

export interface DecodedRecord {
  type: MessageType;
  message: Message;
}

export const ERROR_CLASS = {
  tooLarge: 'MessageTooLarge',
  empty: 'EmptyValue',
  notJson: 'NotJson',
  notObject: 'NotAnObject',
  unknownType: 'UnknownType',
  invalid: 'ValidationError',
  internal: 'InternalError',
} as const;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a JSON array';
  if (typeof value === 'string') return 'a JSON string';
  return `a JSON ${typeof value}`;
}

/** Checks one record in the order an operator would look: size, topic, body shape, version, fields. */
export function decodeConsumed(record: ConsumedRecord, options: { deploymentName?: string; maxBytes: number }): DecodedRecord {
  const size = record.size ?? (record.value === null ? 0 : Buffer.byteLength(record.value));
  if (size > options.maxBytes) {
    throw new PermanentError(
      ERROR_CLASS.tooLarge,
      `the value is ${size} bytes, more than the limit of ${options.maxBytes} (KAFKA_MESSAGE_MAX_BYTES)`,
    );
  }
  const type = typeOfTopic(record.topic, options.deploymentName);
  if (!type) throw new PermanentError(ERROR_CLASS.unknownType, `no message type is published on topic "${record.topic}"`);
  if (record.value === null || record.value.trim() === '') {
    throw new PermanentError(ERROR_CLASS.empty, `the value is empty; a ${type.name} message is a JSON object`);
  }
  // Upstream decodes the bytes as UTF-8 before json.loads; bytes that are not UTF-8 are not a message.
  if (record.raw?.value) throw new PermanentError(ERROR_CLASS.notJson, 'the value is not valid UTF-8 text');
  // Read as Python reads it (NaN, numbers exact); the reason names a position, never the content, which may hold a secret.
  const parsed = parseJsonText(record.value);
  if (!parsed.ok)
    throw new PermanentError(ERROR_CLASS.notJson, `the value is not valid JSON (${parsed.reason} at character ${parsed.offset})`);
  const body = parsed.value;
  if (!(body instanceof JsonObject)) {
    throw new PermanentError(ERROR_CLASS.notObject, `the value is ${describe(toPlain(body))}; a ${type.name} message is a JSON object`);
  }
  // A version no handler reads is reported as such, not as a field-by-field schema mismatch.
  const version = body.get('version') ?? 'v1';
  if (typeof version === 'string') handlerFor(type.name, version);
  const result = validateMessage(type, parsed.value);
  if (!result.ok) throw new PermanentError(ERROR_CLASS.invalid, `${type.name}: ${formatErrors(result.errors).replace(/\n/g, '; ')}`);
  return { type, message: result.message };
}
