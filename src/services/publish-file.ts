/**
 * `thoth publish --file`: every line is prepared and checked before anything
 * is sent, so that one bad line leaves the topic untouched (unless the user
 * chose --skip-invalid). Each error carries its line number.
 */
import { UsageError, UserError } from '../core/errors.js';
import type { MessageType } from '../messages/catalogue.js';
import { JsonObject, fieldsOf, parseJsonText, toPlain } from '../messages/json-text.js';
import { openInput, readLines } from '../messages/ndjson.js';
import { maskedSecretFields, maskedSecretReason } from '../messages/secrets.js';
import { InvalidMessageError, prepareMessage, type PrepareContext, type PreparedMessage, type PublishFlags } from './publish-prepare.js';

export interface LineFailure {
  line: number;
  reason: string;
}

export interface PreparedBatch {
  messages: Array<PreparedMessage & { line: number }>;
  failures: LineFailure[];
}

/** A line's fields, read without loss (numbers as written, key order and every key kept). */
function parseLineObject(text: string): Record<string, unknown> {
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw new UserError(`not valid JSON (${parsed.reason} at character ${parsed.offset})`);
  const value = parsed.value;
  if (!(value instanceof JsonObject)) {
    throw new UserError(
      `expected a JSON object of message fields, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof toPlain(value)}`}`,
    );
  }
  return fieldsOf(value);
}

/** Prepares each line of the file: a JSON object of the message's fields. */
export async function prepareFile(
  type: MessageType,
  path: string,
  stdin: NodeJS.ReadableStream,
  flags: PublishFlags,
  context: PrepareContext,
): Promise<PreparedBatch> {
  const batch: PreparedBatch = { messages: [], failures: [] };
  let noticed = false;
  const once: PrepareContext = {
    ...context,
    notice: (text) => {
      if (!noticed) context.notice?.(text);
      noticed = true;
    },
  };
  for await (const { line, text } of readLines(openInput(path, stdin))) {
    try {
      const fields = parseLineObject(text);
      if ('topic' in fields && ('value' in fields || 'payload' in fields)) {
        throw new UserError('this line is a recorded envelope (topic, value): publish recorded streams with `thoth replay`');
      }
      const masked = maskedSecretFields(toPlain(fields));
      if (masked.length > 0) throw new UserError(maskedSecretReason(masked, 'published'));
      batch.messages.push({ ...prepareMessage(type, fields, flags, once), line });
    } catch (error) {
      if (!(error instanceof UserError) && !(error instanceof UsageError)) throw error;
      const reason = error instanceof InvalidMessageError ? error.errors.map((e) => e.message).join('; ') : error.message;
      batch.failures.push({ line, reason });
    }
  }
  return batch;
}
