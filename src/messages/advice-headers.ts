/**
 * The headers that tie an unresolved-package message to the advice run waiting
 * on it (thoth-adviser-id, thoth-recommendation-type). One check, used by the
 * investigator (which dead-letters a message that fails it) and by `publish`
 * (which refuses to send one), so that publish never sends what is sure to
 * be dead-lettered.
 */
import { RECOMMENDATION_TYPES } from './catalogue.js';

export const ADVISER_ID_HEADER = 'thoth-adviser-id';
export const RECOMMENDATION_TYPE_HEADER = 'thoth-recommendation-type';
export const DEFAULT_RECOMMENDATION_TYPE = 'latest';

const ADVISER_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

function header(headers: Record<string, string>, name: string): string | undefined {
  const found = Object.keys(headers).find((key) => key.toLowerCase() === name);
  return found === undefined ? undefined : headers[found];
}

export type AdviceHeaders = { ok: true; run: { adviserId: string; recommendationType: string } | null } | { ok: false; reason: string };

/** The advice run the headers name, or why the headers are refused. */
export function checkAdviceHeaders(headers: Record<string, string>): AdviceHeaders {
  const adviserId = header(headers, ADVISER_ID_HEADER);
  if (adviserId === undefined || adviserId === '') return { ok: true, run: null };
  if (!ADVISER_ID.test(adviserId)) {
    return { ok: false, reason: `header ${ADVISER_ID_HEADER} must be an adviser id of letters, digits and ._:- (at most 128 characters)` };
  }
  const recommendationType = header(headers, RECOMMENDATION_TYPE_HEADER) || DEFAULT_RECOMMENDATION_TYPE;
  if (!RECOMMENDATION_TYPES.includes(recommendationType)) {
    return { ok: false, reason: `header ${RECOMMENDATION_TYPE_HEADER} must be one of ${RECOMMENDATION_TYPES.join(', ')}` };
  }
  return { ok: true, run: { adviserId, recommendationType } };
}
