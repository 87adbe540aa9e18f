/**
 * Messages that only feed metrics: advise-justification adds its count to a
 * gauge labelled by message and justification type, and metrics mode counts
 * every message by type and version (SPEC §3).
 */
import { metric, type Effect } from '../effects.js';
import { str, type Handler, type HandlerInput } from './common.js';

export const ADVISE_JUSTIFICATION_GAUGE = 'thoth_investigator_advise_justification_type_number';
export const MESSAGES_COUNTER = 'thoth_investigator_messages_total';

export const adviseJustification: Handler = (input) => {
  const count = input.message.count;
  return [
    metric(
      ADVISE_JUSTIFICATION_GAUGE,
      {
        advise_message: str(input.message, 'message') ?? '',
        justification_type: str(input.message, 'justification_type') ?? '',
        thoth_environment: input.config.deploymentName ?? '',
      },
      typeof count === 'number' ? count : 0,
      'gauge',
    ),
  ];
};

/** What metrics mode records for every message. */
export function countMessage(input: Pick<HandlerInput, 'typeName' | 'message'>): Effect {
  return metric(MESSAGES_COUNTER, { message_type: input.typeName, message_version: str(input.message, 'version') ?? 'v1' }, 1, 'counter');
}
