/**
 * Deterministic workflow names and idempotency keys. The same kind and
 * parameters always give the same key and the same name, so Kubernetes'
 * 409 AlreadyExists means "already scheduled" and a redelivered message
 * cannot create a second workflow.
 */
import { hash, randomBytes } from 'node:crypto';

export const MAX_NAME_LENGTH = 63;
const HASH_LENGTH = 10;
const FORCE_SUFFIX_LENGTH = 5;

/** sha256 over the kind and the parameters sorted by name; hex. */
export function idempotencyKey(kind: string, parameters: Record<string, string>): string {
  const sorted = Object.keys(parameters)
    .sort()
    .map((name) => [name, parameters[name]]);
  // One call, no Hash object: a workflow of every message is keyed (crypto.hash, Node >= 20.12).
  return hash('sha256', JSON.stringify([kind, sorted]), 'hex');
}

/** Lower case, runs of anything outside [a-z0-9] as one '-', no '-' at either end. */
export function dnsLabelPart(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * `<kind>-<readable part>-<hash>`, a DNS-1123 label of at most 63 characters.
 * The readable part is cut to fit; the hash keeps names of different requests apart.
 * `forceSuffix` (a deliberate re-run) is appended after the hash.
 */
export function workflowName(kind: string, readable: string[], key: string, forceSuffix?: string): string {
  const hash = key.slice(0, HASH_LENGTH);
  const suffix = forceSuffix ? `-${dnsLabelPart(forceSuffix).slice(0, FORCE_SUFFIX_LENGTH)}` : '';
  const budget = MAX_NAME_LENGTH - kind.length - hash.length - suffix.length - 2;
  const part = dnsLabelPart(readable.filter(Boolean).join('-')).slice(0, Math.max(0, budget)).replace(/-+$/, '');
  return [kind, part, hash].filter(Boolean).join('-') + suffix;
}

/** Five base-36 characters for `--force`. */
export function randomSuffix(): string {
  let out = '';
  const bytes = randomBytes(FORCE_SUFFIX_LENGTH);
  for (let i = 0; i < FORCE_SUFFIX_LENGTH; i++) out += (bytes[i] % 36).toString(36);
  return out;
}
