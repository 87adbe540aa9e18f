/**
 * How `thoth tail` prints each decoded message:
 * - table: a block per message for people (src/present/message.ts); wide: the
 *   same with the full topic and every field, the base fields too;
 * - ndjson: exactly the SPEC §7 envelope per line, so `thoth replay` reads it
 *   back; a message that fails validation is still printed, and its reasons go
 *   to stderr;
 * - json: one array; each item is the envelope plus `type` and, only when the
 *   message is invalid, `invalid` (the list of field errors);
 * - yaml: each of those items as its own YAML document (`---`), so a stream
 *   that never ends is still readable line by line.
 */
import type { Logger } from '../core/logger.js';
import { formatEnvelopeLine } from '../messages/ndjson.js';
import { maskEnvelopeSecrets } from '../messages/secrets.js';
import { presentMessage } from './message.js';
import type { DecodedMessage } from '../messages/records.js';

export type TailFormat = 'table' | 'wide' | 'json' | 'yaml' | 'ndjson';

export interface TailPresenter {
  begin(): string;
  message(decoded: DecodedMessage): string;
  end(): string;
}

export interface TailPresentOptions {
  format: TailFormat;
  color: boolean;
  showSecrets: boolean;
  deploymentName?: string;
  log: Logger;
}

function where(decoded: DecodedMessage): string {
  const { envelope } = decoded;
  return `${envelope.topic} ${envelope.partition ?? '?'}@${envelope.offset ?? '?'}`;
}

/** The presenter of a format; yaml is loaded only for `-o yaml` (it was a tenth of a tail's start-up). */
export async function tailPresenter(options: TailPresentOptions): Promise<TailPresenter> {
  const toYaml = options.format === 'yaml' ? (await import('yaml')).stringify : undefined;
  let count = 0;
  let warnedSecrets = false;
  const masked = (decoded: DecodedMessage) => {
    if (options.showSecrets) return decoded.envelope;
    const result = maskEnvelopeSecrets(decoded.envelope);
    if (result.changed && !warnedSecrets) {
      options.log.warn('secret fields are masked as *** in this output; add --show-secrets to record them verbatim');
      warnedSecrets = true;
    }
    return result.masked;
  };
  const reportInvalid = (decoded: DecodedMessage) => {
    if (decoded.validation && !decoded.validation.ok) {
      const reasons = decoded.validation.errors.map((e) => e.message).join('; ');
      options.log.warn(`invalid ${decoded.type!.name} message at ${where(decoded)}: ${reasons}`);
    }
  };

  /** The §7 line (its value byte for byte) with the type and the reasons added. */
  const item = (decoded: DecodedMessage) => {
    const line = formatEnvelopeLine(masked(decoded));
    const invalid = decoded.validation && !decoded.validation.ok ? `,"invalid":${JSON.stringify(decoded.validation.errors)}` : '';
    return `${line.slice(0, -1)},"type":${JSON.stringify(decoded.type?.name ?? null)}${invalid}}`;
  };

  switch (options.format) {
    case 'table':
    case 'wide':
      return {
        begin: () => '',
        message: (decoded) => presentMessage(decoded, { ...options, wide: options.format === 'wide' }),
        end: () => '',
      };
    case 'yaml':
      return {
        begin: () => '',
        // YAML 1.1 quoting, as every YAML thoth prints: `on` and `yes` stay strings for PyYAML.
        message: (decoded) => `---\n${toYaml!(JSON.parse(item(decoded)), { version: '1.1' })}`,
        end: () => '',
      };
    case 'ndjson':
      return {
        begin: () => '',
        message: (decoded) => {
          reportInvalid(decoded);
          return `${formatEnvelopeLine(masked(decoded))}\n`;
        },
        end: () => '',
      };
    case 'json':
      return {
        begin: () => '[',
        message: (decoded) => `${count++ === 0 ? '\n' : ',\n'}  ${item(decoded)}`,
        end: () => (count === 0 ? ']\n' : '\n]\n'),
      };
  }
}
