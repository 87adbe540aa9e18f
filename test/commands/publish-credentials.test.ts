import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runThoth } from '../support/cli.js';
import { tempDir } from './publish-support.js';

const SECRET_URL = 'https://u:s3cr@t-word@index.example/simple';

describe('thoth publish: an index URL with credentials', () => {
  it.each([
    ['PIP_INDEX_URL', { PIP_INDEX_URL: SECRET_URL }],
    ['THOTH_INDEX_URLS', { THOTH_INDEX_URLS: `${SECRET_URL},https://other.example/simple` }],
  ])('masks them in the notice naming %s, and refuses the message', async (from, variables) => {
    const result = await runThoth(['publish', 'missing-package', 'foo', '--dry-run'], { env: cleanEnv(variables) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`index_url: https://***@index.example/simple (from ${from})`);
    expect(result.stderr).toContain('carries no credentials');
    expect(result.stdout + result.stderr).not.toContain('s3cr');
    expect(result.stdout + result.stderr).not.toContain('t-word');
  });

  it('masks them when pip.conf names the index', async () => {
    const dir = tempDir();
    const conf = join(dir, 'pip.conf');
    writeFileSync(conf, `[global]\nindex-url = ${SECRET_URL}\n`);
    const result = await runThoth(['publish', 'missing-package', 'foo', '--dry-run'], {
      env: cleanEnv({ PIP_CONFIG_FILE: conf, HOME: dir }),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`index_url: https://***@index.example/simple (from ${conf})`);
    expect(result.stdout + result.stderr).not.toMatch(/s3cr|t-word/);
  });

  it('refuses a body carrying one, without echoing it', async () => {
    const result = await runThoth(['publish', 'missing-package', 'foo', '--json', JSON.stringify({ index_url: SECRET_URL }), '--dry-run'], {
      env: cleanEnv(),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`field 'index_url' "https://***@index.example/simple" is invalid: an index URL carries no credentials`);
    expect(result.stdout + result.stderr).not.toMatch(/s3cr|t-word/);
  });
});
