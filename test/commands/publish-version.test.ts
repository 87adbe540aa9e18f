import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runThoth } from '../support/cli.js';
import { tempDir } from './publish-support.js';

describe('thoth publish: the body version', () => {
  it('refuses --json with a version thoth does not read', async () => {
    const result = await runThoth(['publish', 'repo-init', '--json', '{"project_url":"u","version":"v7"}', '--dry-run'], {
      env: cleanEnv(),
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`field 'version' is "v7", but thoth reads repo-init v1 only`);
  });

  it('refuses a --file line with another version, naming its line', async () => {
    const path = join(tempDir(), 'lines.ndjson');
    writeFileSync(path, '{"project_url":"u"}\n{"project_url":"u","version":"v7"}\n');
    const result = await runThoth(['publish', 'repo-init', '--file', path, '--dry-run'], { env: cleanEnv() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${path}:2: field 'version' is "v7", but thoth reads repo-init v1 only`);
  });

  it('accepts the catalogue version written out', async () => {
    const result = await runThoth(
      ['publish', 'adviser-trigger', '--json', '{"recommendation_type":"latest","version":"v5"}', '--dry-run'],
      { env: cleanEnv() },
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).version).toBe('v5');
  });
});
