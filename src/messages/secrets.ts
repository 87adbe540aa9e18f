/**
 * Fields whose name contains "password" are secrets (SPEC §2.1): they never
 * reach stdout, logs or errors unless the user asks with an explicit flag.
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
  return text.replace(/\/\/[^/?#\s]*@/g, '//***@');
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
    return isSecretField(key) && item === MASK ? [at] : maskedSecretFields(item, at, depth + 1);
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
    Object.defineProperty(out, key, { value: scrubStrings(item, depth + 1), enumerable: true, writable: true, configurable: true });
  return out;
}

/** Header names that hold a secret. */
const SECRET_HEADER = /password|secret|token/i;

/** Headers with the values of secret-looking names (password, secret, token) replaced by ***. */
export function maskHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = SECRET_HEADER.test(name) ? '***' : value;
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

/** The same envelope with secret fields and headers masked, for machine output without --show-secrets. */
export function maskEnvelopeSecrets<T extends { headers: Record<string, string>; value: unknown; body?: string | null; tree?: unknown }>(
  envelope: T,
): { masked: T; changed: boolean } {
  const secretValue = carriesSecrets(envelope.value);
  const secretHeaders = Object.keys(envelope.headers).filter((name) => SECRET_HEADER.test(name));
  if (!secretValue && secretHeaders.length === 0) return { masked: envelope, changed: false };
  const headers = { ...envelope.headers };
  for (const name of secretHeaders) headers[name] = '***';
  if (!secretValue) return { masked: { ...envelope, headers }, changed: true };
  // The exact body holds the secret: the masked value is written instead.
  const { body: _body, tree: _tree, ...rest } = envelope;
  return { masked: { ...rest, headers, value: maskSecrets(envelope.value) } as T, changed: true };
}
