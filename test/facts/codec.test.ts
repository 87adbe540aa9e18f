/**
 * Facts on the wire (src/facts/codec.ts): every kind round-trips, keys are
 * JSON arrays (unambiguous with index URLs full of '/'), and what this thoth
 * cannot read is told apart from a tombstone and named.
 */
import { describe, expect, it } from 'vitest';
import { decodeFact, encodeFact, factKey, FACT_FORMAT } from '../../src/facts/codec.js';
import { FACT_KINDS, messageId, versionRef, type Fact } from '../../src/facts/facts.js';

const AT = '2026-11-27T12:00:00.000Z';
const version = { indexUrl: 'https://index.example/simple', packageName: 'requests', packageVersion: '2.25.1' };

const EVERY_KIND: Fact[] = [
  { kind: 'version', version, at: AT },
  { kind: 'missing', version, missing: true, at: AT },
  { kind: 'package-missing', indexUrl: version.indexUrl, packageName: 'requests', versions: ['2.25.0', '2.25.1'], at: AT },
  { kind: 'provides-source-distro', version, value: false, at: AT },
  { kind: 'security-indicators', version, state: 'scheduled', at: AT },
  { kind: 'security-indicators-requested', version, at: AT },
  { kind: 'solved', version, solver: 'solver-rhel-8-py38', error: false, at: AT },
  { kind: 'hash', version, hash: 'sha256:abc', present: false, at: AT },
  { kind: 'cve', version, notice: 'prod.thoth.cve-update.cve-provided[0]@4', at: AT },
  { kind: 'request', version, solver: null, request: 'prod.thoth.investigator.unresolved-package[2]@17', at: AT },
  { kind: 'request', version, solver: 'solver-rhel-8-py38', request: 'legacy', at: AT, count: 3, lastAt: '2026-11-28T12:00:00.000Z' },
  { kind: 'advice', adviserId: 'adviser-1', recommendationType: 'stable', at: AT },
  { kind: 'advice-wait', adviserId: 'adviser-1', recommendationType: 'stable', version, at: AT },
  { kind: 'advice-re-run', adviserId: 'adviser-1', recommendationType: 'stable', at: AT },
  {
    kind: 'workflow',
    workflow: {
      name: 'solver-requests-2-25-1-rhel-8-py38-c18e345c0c',
      kind: 'solver',
      namespace: 'thoth',
      parameters: { THOTH_SOLVER_NAME: 'solver-rhel-8-py38' },
      idempotencyKey: 'c18e345c0c',
      status: 'Pending',
      source: { topic: 'prod.thoth.investigator.unresolved-package', partition: 2, offset: 17 },
      createdAt: AT,
      updatedAt: AT,
      packageName: 'requests',
      packageVersion: '2.25.1',
      indexUrl: version.indexUrl,
    },
  },
];

describe('facts on the wire', () => {
  it('cover every kind of fact', () => {
    expect(new Set(EVERY_KIND.map((f) => f.kind))).toEqual(new Set(FACT_KINDS));
  });

  it.each(EVERY_KIND.map((fact) => [fact.kind, fact] as const))('%s: the record reads back as the same fact', (_kind, fact) => {
    const record = encodeFact(fact);
    expect(JSON.parse(record.value!)).toMatchObject({ v: FACT_FORMAT });
    expect(decodeFact(record)).toEqual({ type: 'fact', key: record.key, value: record.value, fact });
  });

  it('keys a fact by its identity as a JSON array, whatever the index URL holds', () => {
    expect(factKey({ kind: 'solved', version, solver: 'solver-rhel-8-py38', error: true, at: AT })).toBe(
      '["solved","https://index.example/simple","requests","2.25.1","solver-rhel-8-py38"]',
    );
    // The value is not part of the identity: a later result for the same solver replaces the earlier one.
    expect(factKey({ kind: 'solved', version, solver: 'solver-rhel-8-py38', error: false, at: 'later' })).toBe(
      factKey({ kind: 'solved', version, solver: 'solver-rhel-8-py38', error: true, at: AT }),
    );
    expect(messageId({ topic: 'prod.thoth.solver.solved-package', partition: 1, offset: 9 })).toBe('prod.thoth.solver.solved-package[1]@9');
  });

  it('names versions canonically: PEP 503 names, PEP 440 versions, index URLs without a trailing slash', () => {
    expect(versionRef({ packageName: 'Flask', packageVersion: 'v2.0', indexUrl: 'https://index.example/simple/' })).toEqual({
      packageName: 'flask',
      packageVersion: '2.0.0',
      indexUrl: 'https://index.example/simple',
    });
  });

  it('reads a tombstone as the removal of the fact its key names', () => {
    const key = factKey({ kind: 'advice-wait', adviserId: 'adviser-1', recommendationType: 'stable', version, at: AT });
    expect(decodeFact({ key, value: null })).toEqual({
      type: 'tombstone',
      key,
      identity: { kind: 'advice-wait', adviserId: 'adviser-1', version },
    });
  });

  it.each([
    [
      'a newer format',
      '["version","i","n","1.0.0"]',
      '{"v":2,"at":"x"}',
      'written by a newer thoth (fact format v2; this thoth reads up to v1)',
    ],
    ['broken JSON', '["version","i","n","1.0.0"]', '{"v":1,', 'the value is not JSON'],
    ['no format', '["version","i","n","1.0.0"]', '{"at":"x"}', 'no format version'],
    ['a kind it does not know', '["colour","i","n","1.0.0"]', '{"v":1,"at":"x"}', 'unknown kind of fact "colour"'],
    [
      'a key of the wrong length',
      '["solved","i","n","1.0.0"]',
      '{"v":1,"error":false,"at":"x"}',
      'a solved key has 5 elements, this one 4',
    ],
    ['a key that is not an array', 'requests==2.25.1', '{"v":1}', 'the key is not JSON'],
    ['a field of the wrong type', '["missing","i","n","1.0.0"]', '{"v":1,"missing":"yes","at":"x"}', 'field missing is not true or false'],
  ])('tells what it cannot read: %s', (_what, key, value, reason) => {
    expect(decodeFact({ key, value })).toEqual({ type: 'unreadable', key, reason: expect.stringContaining(reason) });
  });
});
