import { describe, expect, it } from 'vitest';
import { cleanEnv, runThoth } from '../support/cli.js';

describe('suggestions for a mistyped message type', () => {
  it.each([
    [['publish', 'adviser', 'x'], "(did you mean 'adviser-trigger' or 'adviser-re-run'?)"],
    [['publish', 'kebechet'], "(did you mean 'kebechet-run-url-trigger' or 'kebechet-trigger'?)"],
    [['publish', 'solver', 'x'], "(did you mean 'solved-package'?)"],
    [['schema', 'solvd'], "(did you mean 'solved-package'?)"],
    [['schema', 'solvd-package'], "(did you mean 'solved-package'?)"],
    [['schema', 'unresolved'], "(did you mean 'unresolved-package'?)"],
  ])('thoth %j suggests the types it may mean', async (args, expected) => {
    const result = await runThoth(args, { env: cleanEnv() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(expected);
    expect(result.stderr).toContain('known types: advise-justification');
  });

  it('suggests nothing for a word no type resembles', async () => {
    const result = await runThoth(['schema', 'zzzzzzzz'], { env: cleanEnv() });
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain('did you mean');
  });
});
