/**
 * How names are keyed in the cache. Package names are stored normalised per
 * PEP 503 so that `Requests`, `requests` and `REQUESTS` are one package; index
 * URLs without a trailing slash so that `…/simple` and `…/simple/` are one index.
 */
import { normalizePackageName as pep503Name } from '../messages/package-spec.js';

/** PEP 503: lower case, every run of `-`, `_` and `.` becomes one `-`. */
export function normalizePackageName(name: string): string {
  return pep503Name(name.trim());
}

export function normalizeIndexUrl(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

/** An ISO-8601 timestamp in one canonical form (UTC, milliseconds, `Z`), so text order is time order. */
export function canonicalTime(at: string | number | Date): string {
  const date = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a timestamp: ${String(at)}`);
  return date.toISOString();
}
