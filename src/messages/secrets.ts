/**
 * Fields whose name contains "password" are secrets (SPEC §2.1): they never
 * reach stdout, logs or errors unless the user asks with an explicit flag.
 */

export const MASK = '***';

export function isSecretField(name: string): boolean {
  return /password/i.test(name);
}

/**
 * A deep copy of `value` in which every key containing "password"
 * (case-insensitive) that holds a non-null value reads `***`. Null stays
 * null, so that "no password set" remains visible.
 */
export function maskSecrets<T>(value: T): T {
  return maskValue(value) as T;
}

function maskValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskValue);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSecretField(key) && item !== null && item !== undefined ? MASK : maskValue(item);
  }
  return out;
}
