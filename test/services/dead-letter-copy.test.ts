import { describe, expect, it } from 'vitest';
import { cacheCopyProblem } from '../../src/services/dead-letters.js';
import type { DeadLetterEntry } from '../../src/store/index.js';

const letter = (over: Partial<DeadLetterEntry>): DeadLetterEntry => ({
  id: 1,
  origin: 'file:/a.ndjson',
  topic: 'thoth.investigator.unresolved-package',
  partition: 0,
  offset: 3,
  error_class: 'InvalidMessage',
  reason: 'x',
  key: null,
  value: { package_name: 'requests' },
  headers: { 'thoth-adviser-id': 'adviser-1' },
  created_at: '2026-12-05T00:00:00.000Z',
  redrives: [],
  ...over,
});

describe("the cache's copy of a dead letter stands for the original only when it is whole", () => {
  it('a whole copy can be re-driven', () => {
    expect(cacheCopyProblem(letter({}))).toBeUndefined();
  });
  it('not when the cache kept only the start of a large value', () => {
    expect(cacheCopyProblem(letter({ value_truncated: true }))).toMatch(/only the start of the value/);
  });
  it('not when a header was masked (authorization, tokens, URL user info)', () => {
    expect(cacheCopyProblem(letter({ headers: { authorization: '***' } }))).toMatch(/headers with their secrets masked/);
    expect(cacheCopyProblem(letter({ headers: { 'x-index': 'https://***@index.example/simple' } }))).toMatch(/masked/);
  });
  it('not when the key was never recorded', () => {
    expect(cacheCopyProblem(letter({ key: undefined }))).toMatch(/did not record the key/);
  });
});
