/** User input quoted inside error messages. */

/**
 * A value shown inside an error: quoted, long ones cut, and every control or
 * invisible format character (including bidi overrides) escaped, so that the
 * terminal shows what was typed rather than obeying it.
 */
export function shown(text: string, max = 60): string {
  const quoted = JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
  return quoted.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A value of unknown type as text: strings as they are, anything else as JSON (never "[object Object]"). */
export function displayText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value) ?? '';
}
