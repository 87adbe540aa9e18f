/**
 * What the cache keeps of a dead letter (SPEC §5, `thoth dead-letters`): the
 * value without secrets (a large one cut to a prefix, with the whole's size
 * and hash), the headers masked. The investigator keeps this copy when it
 * dead-letters a record; a cache reading the dead-letter topic builds the
 * same copy from the record there (src/store/dead-letter-records.ts).
 */
import { createHash } from 'node:crypto';
import { scrubSecrets, withoutCredentials } from './secrets.js';

/** The most of a dead letter's value the cache keeps: past it, a prefix with the whole's size and hash. */
export const DEAD_LETTER_VALUE_CHARS = 16 * 1024;

/** A secret-named JSON field's string value, as it can be found in text cut short. */
const SECRET_IN_TEXT = /("[^"\\]*(?:password|passwd|secret|token)[^"\\]*"\s*:\s*)"(?:[^"\\]|\\.)*("|$)/gi;

/** What the cache keeps of a dead letter's value: the value without secrets, or, when large, a prefix of its text. */
export function cachedValue(raw: string | null): { value: unknown; truncated?: { sizeBytes: number; sha256: string } } {
  if (raw === null || raw.length <= DEAD_LETTER_VALUE_CHARS) return { value: scrubSecrets(valueAsReceived(raw)) };
  const prefix = withoutCredentials(raw.slice(0, DEAD_LETTER_VALUE_CHARS)).replace(SECRET_IN_TEXT, '$1"***"');
  return { value: prefix, truncated: { sizeBytes: Buffer.byteLength(raw), sha256: createHash('sha256').update(raw).digest('hex') } };
}

/** SPEC §6 `query dead-letters`: the parsed object, or the raw string when it was not JSON. */
function valueAsReceived(raw: string | null): unknown {
  if (raw === null) return null;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}
