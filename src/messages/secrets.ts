/**
 * Fields whose name contains "password" are secrets (SPEC §2.1), and so are
 * the user info of a URL (`https://alice:PW@index/`) and headers such as
 * `authorization`: they never reach stdout, logs or errors unless the user
 * asks with an explicit flag.
 */
import { MAX_JSON_DEPTH } from './json-depth.js';

export const MASK = '***';

/**
 * How deep the walks below look. Parsed bodies nest at most MAX_JSON_DEPTH levels (json-depth.ts);
 * anything deeper, however it was built, is replaced by the mask rather than walked, so that no
 * walk can overflow the stack and nothing unexamined is shown.
 */
const WALK_DEPTH = MAX_JSON_DEPTH + 8;

export function isSecretField(name: string): boolean {
  return /password/i.test(name);
}

/**
 * A deep copy of `value` in which every key containing "password"
 * (case-insensitive) that holds a non-null value reads `***`. Null stays
 * null, so that "no password set" remains visible.
 */
export function maskSecrets<T>(value: T): T {
  return maskValue(value, 0) as T;
}

function maskValue(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= WALK_DEPTH) return MASK;
  if (Array.isArray(value)) return value.map((item) => maskValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    // defineProperty keeps a `__proto__` key as data.
    const masked = isSecretField(key) && item !== null && item !== undefined ? MASK : maskValue(item, depth + 1);
    Object.defineProperty(out, key, { value: masked, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * `text` with the user-info part of every URL in it (`user:password@`)
 * replaced by `***@`. The authority runs to the first '/', '?', '#' or space,
 * and the last '@' before it ends the user info, as URL parsers read it, so a
 * password holding an unescaped '@' is masked whole.
 */
export function withoutCredentials(text: string): string {
  return text.replace(URL_USER_INFO, MASKED_USER_INFO);
}

const MASKED_USER_INFO = `//${MASK}@`;

/** True when `text` carries a mask thoth wrote: a masked value, or a URL whose user info was masked. */
export function carriesMask(text: string): boolean {
  return text === MASK || text.includes(MASKED_USER_INFO);
}

const URL_USER_INFO = /\/\/[^/?#\s]*@/g;

/** True when `text` holds a URL with user info (`https://alice:PW@host/`). */
export function hasCredentials(text: string): boolean {
  URL_USER_INFO.lastIndex = 0;
  return URL_USER_INFO.test(text);
}

/** True when any string of `value` (a key or an item) holds a URL with user info. */
function carriesCredentials(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return hasCredentials(value);
  if (typeof value !== 'object' || value === null) return false;
  if (depth >= WALK_DEPTH) return true;
  if (Array.isArray(value)) return value.some((item) => carriesCredentials(item, depth + 1));
  return Object.entries(value).some(([key, item]) => hasCredentials(key) || carriesCredentials(item, depth + 1));
}

/**
 * Paths of the password-named fields in `value` that hold exactly the mask:
 * a recording made by `thoth tail` without --show-secrets, whose real values
 * are gone. Sending it would publish `***` as the password.
 */
export function maskedSecretFields(value: unknown, path = '', depth = 0): string[] {
  if (typeof value !== 'object' || value === null || depth >= WALK_DEPTH) return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => maskedSecretFields(item, `${path}[${i}]`, depth + 1));
  return Object.entries(value).flatMap(([key, item]) => {
    const at = path ? `${path}.${key}` : key;
    if (isSecretField(key) && item === MASK) return [at];
    if (typeof item === 'string' && item.includes(MASKED_USER_INFO)) return [at];
    return maskedSecretFields(item, at, depth + 1);
  });
}

/** The reason a line with masked secrets cannot be sent, naming the field. */
export function maskedSecretReason(fields: readonly string[], action = 'replayed'): string {
  const named = fields.length === 1 ? fields[0] : `${fields.slice(0, -1).join(', ')} and ${fields.at(-1)!}`;
  return `${named} ${fields.length === 1 ? 'is' : 'are'} masked (${MASK}): the recording was made without --show-secrets; it cannot be ${action}`;
}

/** `maskSecrets`, and the user info of every URL in any string of `value`, masked: for copies kept for people. */
export function scrubSecrets<T>(value: T): T {
  return scrubStrings(maskSecrets(value)) as T;
}

function scrubStrings(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return withoutCredentials(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= WALK_DEPTH) return MASK;
  if (Array.isArray(value)) return value.map((item) => scrubStrings(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value))
    Object.defineProperty(out, withoutCredentials(key), {
      value: scrubStrings(item, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

/** Header names that hold a secret: `authorization: Bearer …`, a token, a cookie, an API key. */
const SECRET_HEADER = /password|passwd|secret|token|authori[sz]ation|cookie|api[-_]?key|credential/i;

export function isSecretHeader(name: string): boolean {
  return SECRET_HEADER.test(name);
}

/**
 * Headers with the values of secret-looking names (password, secret, token,
 * authorization, cookie, api key) replaced by ***, and the user info of any
 * URL in the others masked.
 */
export function maskHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    Object.defineProperty(out, withoutCredentials(name), {
      value: isSecretHeader(name) ? MASK : withoutCredentials(value),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

/** True when a secret field (name containing "password") holds a value anywhere in the message. */
export function carriesSecrets(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null) return false;
  // Not looked into: treated as secret, so that it is masked rather than shown.
  if (depth >= WALK_DEPTH) return true;
  if (Array.isArray(value)) return value.some((item) => carriesSecrets(item, depth + 1));
  return Object.entries(value).some(
    ([name, item]) => (/password/i.test(name) && item !== null && item !== undefined) || carriesSecrets(item, depth + 1),
  );
}

/** What a secret in a body's text needs: a "password" key or a URL's '@', or an escape that could spell either. */
const SECRET_TEXT = /password|@|\\/i;

/**
 * True when the value is its exact body's text or that text parsed (`tree` set: a consumed record,
 * src/messages/records.ts) and the text holds none of SECRET_TEXT: no key of it can contain
 * "password" and no string a URL's user info, so the walks over the value would find nothing.
 * One scan of the text where they would walk every key and string of every message.
 */
function bodyShowsNoSecret(envelope: { value: unknown; body?: string | null; tree?: unknown }): boolean {
  const { body } = envelope;
  return typeof body === 'string' && (envelope.tree !== undefined || envelope.value === body) && !SECRET_TEXT.test(body);
}

/** The same envelope with secret fields and headers masked, for machine output without --show-secrets. */
export function maskEnvelopeSecrets<
  T extends { key?: string | null; headers: Record<string, string>; value: unknown; body?: string | null; tree?: unknown },
>(envelope: T): { masked: T; changed: boolean } {
  const secretValue = !bodyShowsNoSecret(envelope) && (carriesSecrets(envelope.value) || carriesCredentials(envelope.value));
  const secretHeaders = Object.entries(envelope.headers).some(
    ([name, value]) => isSecretHeader(name) || hasCredentials(name) || hasCredentials(value),
  );
  const secretKey = typeof envelope.key === 'string' && hasCredentials(envelope.key);
  if (!secretValue && !secretHeaders && !secretKey) return { masked: envelope, changed: false };
  const headers = maskHeaders(envelope.headers);
  const key = secretKey ? { key: withoutCredentials(envelope.key as string) } : {};
  if (!secretValue) return { masked: { ...envelope, ...key, headers }, changed: true };
  // The exact body holds the secret: the masked value is written instead.
  const { body: _body, tree: _tree, ...rest } = envelope;
  return { masked: { ...rest, ...key, headers, value: scrubSecrets(envelope.value) } as T, changed: true };
}
