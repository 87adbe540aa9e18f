import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runThoth } from '../support/cli.js';
import { INDEX, tempDir } from './publish-support.js';

const dry = (args: string[]) => runThoth(['publish', ...args, '--dry-run'], { env: cleanEnv({ THOTH_INDEX_URLS: INDEX }) });

describe('thoth publish: flag values the investigator reads', () => {
  it.each([
    [
      ['unresolved-package', 'requests', '--adviser-id', 'a-1', '--recommendation-type', 'bogus'],
      '--recommendation-type must be one of latest, stable, testing, performance, security, got "bogus"',
    ],
    [['solved-package', 'requests==2.25.1', '--adviser-id', 'a-1'], '--adviser-id applies to unresolved-package only'],
    [['missing-package', 'requests', '--adviser-id', 'a-1'], '--adviser-id applies to unresolved-package only'],
    [
      ['solved-package', 'requests==2.25.1', '--solver', 'bad solver'],
      '--solver "bad solver": a solver name is solver-<os>-<os_version>-py<XY>',
    ],
    [
      ['unresolved-package', 'requests', '--solver', 'solver-$(id)'],
      '--solver "solver-$(id)": a solver name is solver-<os>-<os_version>-py<XY>',
    ],
  ])('refuses %j as a usage error', async (args, message) => {
    const result = await dry(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
  });

  it.each(['latest', 'stable', 'testing', 'performance', 'security'])('accepts --recommendation-type %s', async (kind) => {
    const result = await dry(['unresolved-package', 'requests', '--adviser-id', 'a-1', '--recommendation-type', kind]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`thoth-recommendation-type=${kind}`);
  });

  it('checks a solver field given by --field, --json or a --file line too', async () => {
    const field = await dry(['solved-package', 'requests==2.25.1', '--field', 'solver=bad solver']);
    expect(field.code).toBe(1);
    expect(field.stderr).toContain(`field 'solver' "bad solver" is invalid: a solver name is solver-<os>-<os_version>-py<XY>`);
    const path = join(tempDir(), 'lines.ndjson');
    writeFileSync(
      path,
      `${JSON.stringify({ package_name: 'six', package_version: '1.16.0', solver: 'solver-fedora-35-py310' })}\n${JSON.stringify({ package_name: 'six', package_version: '1.16.0', solver: 'x' })}\n`,
    );
    const file = await dry(['solved-package', '--file', path]);
    expect(file.code).toBe(1);
    expect(file.stderr).toContain(`${path}:2: field 'solver' "x" is invalid`);
    expect((await dry(['solved-package', 'requests==2.25.1', '--solver', 'solver-fedora-35-py310'])).code).toBe(0);
  });
});
