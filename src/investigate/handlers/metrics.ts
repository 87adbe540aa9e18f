/**
 * Messages that only feed metrics: advise-justification adds its count to a
 * gauge labelled by justification type, and metrics mode counts every message
 * by type and version (SPEC §3).
 *
 * Every label comes from a fixed set: a value a message makes up (the
 * justification's free text, a version no catalogue has) would add a series
 * per message, and Prometheus keeps every series it has seen. What is not in
 * the set is counted as "other"; the text stays in the message and the logs.
 */
import { metric, type Effect } from '../effects.js';
import { str, type Handler, type HandlerInput } from './common.js';

export const ADVISE_JUSTIFICATION_GAUGE = 'thoth_investigator_advise_justification_type_number';
export const MESSAGES_COUNTER = 'thoth_investigator_messages_total';

/** Upstream's justification types; anything else is "other". */
const JUSTIFICATION_TYPES = new Set(['INFO', 'WARNING', 'ERROR', 'LATEST', 'CVE']);
const MESSAGE_VERSION = /^v[0-9]{1,3}$/;

const bounded = (value: string | null | undefined, allowed: (v: string) => boolean) =>
  value === undefined || value === null ? '' : allowed(value) ? value : 'other';

export const adviseJustification: Handler = (input) => {
  const count = input.message.count;
  return [
    metric(
      ADVISE_JUSTIFICATION_GAUGE,
      {
        justification_type: bounded(str(input.message, 'justification_type'), (v) => JUSTIFICATION_TYPES.has(v)),
        thoth_environment: input.config.deploymentName ?? '',
      },
      typeof count === 'number' ? count : 0,
      'gauge',
    ),
  ];
};

/** What metrics mode records for every message. */
export function countMessage(input: Pick<HandlerInput, 'typeName' | 'message'>): Effect {
  const version = bounded(str(input.message, 'version') ?? 'v1', (v) => MESSAGE_VERSION.test(v));
  return metric(MESSAGES_COUNTER, { message_type: input.typeName, message_version: version }, 1, 'counter');
}
