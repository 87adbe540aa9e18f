/**
 * publish refuses what the investigator would dead-letter: both use one check
 * of the advice headers (thoth-adviser-id, thoth-recommendation-type).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { waitingAdviceRun } from '../../src/investigate/handlers/unresolved.js';
import { headersOf } from '../../src/services/publish-prepare.js';
import { runThoth } from '../support/cli.js';

const accepted = (fn: () => unknown) => {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
};

describe('publish and the investigator agree on advice headers', () => {
  it('every adviser id publish accepts, the investigator takes (never a dead letter)', () => {
    const ids = fc.oneof(
      fc.string(),
      fc.stringMatching(/^[A-Za-z0-9._:\- ;/]{0,140}$/),
      fc.constantFrom('adviser-1', '../../etc', 'a'.repeat(129)),
    );
    const types = fc.option(fc.constantFrom('latest', 'stable', 'fastest', 'LATEST', ''), { nil: undefined });
    fc.assert(
      fc.property(ids, types, (id, type) => {
        const headers = type === undefined ? [] : [`thoth-recommendation-type=${type}`];
        const published = accepted(() => headersOf({ headers, adviserId: id }));
        if (published) expect(accepted(() => waitingAdviceRun(headersOf({ headers, adviserId: id })))).toBe(true);
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it.each([
    ['--adviser-id', '../../etc'],
    ['--adviser-id', 'a'.repeat(129)],
    ['--header', 'thoth-adviser-id=x; rm -rf /'],
  ])('publish %s %s is a usage error naming the rule', async (flag, value) => {
    const run = await runThoth([
      'publish',
      'unresolved-package',
      'requests==2.25.1',
      '--index-url',
      'https://index.example/simple',
      flag,
      value,
      '--dry-run',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /header thoth-adviser-id must be an adviser id of letters, digits and \._:- \(at most 128 characters\); the investigator would dead-letter this message/,
    );
  });

  it('a good adviser id is published', async () => {
    const run = await runThoth([
      'publish',
      'unresolved-package',
      'requests==2.25.1',
      '--index-url',
      'https://index.example/simple',
      '--adviser-id',
      'adviser-211127100000-5e3b8d',
      '--dry-run',
    ]);
    expect(run.code).toBe(0);
  });
});
