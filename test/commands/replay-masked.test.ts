import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lines, site, tempDir } from './publish-support.js';

const REASON = 'base_registry_password is masked (***): the recording was made without --show-secrets; it cannot be replayed';

/** A build-analysis-trigger carrying a password, published and recorded by `thoth tail -o ndjson` (which masks it). */
async function maskedRecording() {
  const s = site('embedded');
  const published = await s.thoth([
    'publish',
    'build-analysis-trigger',
    '--field',
    'base_image=registry.example/thoth/app:1',
    '--field',
    'base_registry_password=hunter22-secret',
  ]);
  expect(published.code).toBe(0);
  const tail = await s.thoth(['tail', 'build-analysis-trigger', '--exit-at-end', '-o', 'ndjson']);
  expect(lines(tail.stdout)[0].value.base_registry_password).toBe('***');
  const path = join(tempDir(), 'recorded.ndjson');
  writeFileSync(path, tail.stdout);
  return { s, path, text: tail.stdout };
}

describe('replaying a recording whose passwords tail masked', () => {
  it('refuses the line, names the field, and sends nothing', async () => {
    const { s, path } = await maskedRecording();
    const target = s.elsewhere();
    const result = await target.thoth(['replay', path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${path}:1: invalid build-analysis-trigger message: ${REASON}`);
    const tail = await target.thoth(['tail', 'build-analysis-trigger', '--exit-at-end', '-o', 'ndjson']);
    expect(lines(tail.stdout)).toHaveLength(0);
  });

  it('--validate-only counts the line invalid', async () => {
    const { s, path } = await maskedRecording();
    const result = await s.thoth(['replay', path, '--validate-only']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(REASON);
    expect(result.stderr).toContain('checked 1 lines: 0 valid, 1 invalid, 0 malformed');
  });

  it('publish --file refuses such a line too', async () => {
    const { s, text } = await maskedRecording();
    const value = lines(text)[0].value as Record<string, unknown>;
    const path = join(tempDir(), 'fields.ndjson');
    writeFileSync(path, `${JSON.stringify(value)}\n`);
    const result = await s.thoth(['publish', 'build-analysis-trigger', '--file', path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${path}:1: base_registry_password is masked (***): the recording was made without --show-secrets; it cannot be published`,
    );
    expect(result.stderr).toContain('nothing was published');
  });

  it('a recording made with --show-secrets replays', async () => {
    const s = site('embedded');
    await s.thoth(['publish', 'build-analysis-trigger', '--field', 'base_registry_password=hunter22-secret']);
    const tail = await s.thoth(['tail', 'build-analysis-trigger', '--exit-at-end', '-o', 'ndjson', '--show-secrets']);
    const path = join(tempDir(), 'clear.ndjson');
    writeFileSync(path, tail.stdout);
    const result = await s.elsewhere().thoth(['replay', path]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('sent 1 message');
  });
});
