import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { site, tempDir } from './publish-support.js';

const repoInit = { component_name: 'c', service_version: '1', version: 'v1', project_url: 'https://git.example/demo', job_id: null };
const envelope = (value: unknown) => JSON.stringify({ topic: 'thoth.repo-init', key: null, headers: {}, value, timestamp: 1 });

function file(lines: string[]): string {
  const path = join(tempDir(), 'stream.ndjson');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('the replay summary', () => {
  it('counts invalid lines sent with --include-invalid as sent, not skipped', async () => {
    const path = file([envelope(repoInit), envelope({ ...repoInit, project_url: 5 }), envelope({ ...repoInit, project_url: 6 })]);
    const result = await site('embedded').thoth(['replay', path, '--include-invalid']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /sent 3 messages in [\d.]+s \(2 of them invalid, sent as --include-invalid asked\); skipped 0 malformed lines/,
    );
    expect(result.stderr).not.toContain('skipped 2 invalid');
  });

  it('without --include-invalid says what was skipped', async () => {
    const path = file([envelope(repoInit), envelope({ ...repoInit, project_url: 5 })]);
    const result = await site('embedded').thoth(['replay', path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/sent 1 message in [\d.]+s; skipped 1 invalid and 0 malformed lines/);
  });

  it('says when Ctrl-C interrupted it, and how many of how many lines were sent', async () => {
    const path = file(Array.from({ length: 20 }, () => envelope(repoInit)));
    const controller = new AbortController();
    const running = site('embedded').thoth(['replay', path, '--rate', '5/s'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 500);
    const result = await running;
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/interrupted: sent \d+ of 20 lines in [\d.]+s/);
    expect(result.stderr).not.toMatch(/^sent \d+ messages/m);
  });
});
