/**
 * The publishing capability of the effect executor (STYLE 7, 15): a publish
 * effect is built into a complete message body (thoth-messaging's, every
 * field written) and checked before anything is applied; then sent, and
 * resolved once the broker acknowledged it. `thoth publish` uses this
 * alone; the investigator's executor composes it with the other two.
 */
import { PermanentError } from '../core/errors.js';
import { thothVersion } from '../core/version.js';
import { messageType } from '../messages/catalogue.js';
import { topicName } from '../messages/topics.js';
import { buildMessage, formatErrors, serializeMessage, validateMessage, type Message } from '../messages/validate.js';
import type { OutgoingRecord } from '../transport/port.js';
import type { Effect } from './effects.js';

export const INVALID_FOLLOW_UP = 'InvalidFollowUp';

export type PublishEffect = Extract<Effect, { type: 'publish' }>;

export interface PublishRecord {
  /** CLI name of the type (`adviser-re-run`). */
  messageType: string;
  message: Message;
  key: string | null;
  headers: Record<string, string>;
}

export interface FollowUpPublisherContext {
  /** Sends the records; resolves once the broker acknowledged all of them. */
  send(records: PublishRecord[]): Promise<void>;
  /** component_name/service_version of the bodies; default thoth-investigator and thoth's version. */
  origin?: { componentName: string; serviceVersion: string };
}

export interface FollowUpPublisher {
  /** The complete record for an effect, or a PermanentError (InvalidFollowUp) naming what is wrong. */
  prepare(effect: Pick<PublishEffect, 'messageType' | 'message' | 'key' | 'headers'>): PublishRecord;
  send(records: PublishRecord[]): Promise<void>;
}

export function followUpPublisher(context: FollowUpPublisherContext): FollowUpPublisher {
  const origin = context.origin ?? { componentName: 'thoth-investigator', serviceVersion: thothVersion() };
  return {
    prepare(effect) {
      const type = messageType(effect.messageType);
      const built = buildMessage(type, effect.message, origin);
      if (!built.ok)
        throw new PermanentError(INVALID_FOLLOW_UP, `the ${type.name} follow-up message is invalid: ${formatErrors(built.errors)}`);
      return { messageType: type.name, message: built.message, key: effect.key, headers: effect.headers };
    },
    send: (records) => context.send(records),
  };
}

/** The record a prepared follow-up is written as: its type's topic (prefixed), the exact body thoth-messaging writes. */
export function followUpRecord(record: PublishRecord, deploymentName?: string): OutgoingRecord {
  const type = messageType(record.messageType);
  const checked = validateMessage(type, record.message);
  // prepare() built it: an invalid body here is a bug, not the message's fault.
  if (!checked.ok) throw new Error(`follow-up ${type.name} message is invalid: ${formatErrors(checked.errors)}`);
  return {
    topic: topicName(type.baseTopic, deploymentName),
    key: record.key,
    headers: record.headers,
    value: serializeMessage(type, checked.message),
  };
}
