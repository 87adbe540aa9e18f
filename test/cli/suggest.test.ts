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

describe('suggestions for a mistyped subcommand', () => {
  it.each([
    [['groups', 'reset'], "error: unknown command 'reset' (did you mean 'reset-offsets'?)\nSee 'thoth groups --help'.\n"],
    [['query', 'stat'], "error: unknown command 'stat' (did you mean 'stats'?)\nSee 'thoth query --help'.\n"],
    [['dead-letters', 'lst'], "error: unknown command 'lst' (did you mean 'list'?)\nSee 'thoth dead-letters --help'.\n"],
    [['query', 'zzzz'], "error: unknown command 'zzzz'\nSee 'thoth query --help'.\n"],
  ])('thoth %j names the subcommand it may mean and where they are listed', async (args, expected) => {
    const result = await runThoth(args, { env: cleanEnv() });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(expected);
  });
});
