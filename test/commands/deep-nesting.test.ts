/**
 * Bodies nested deeper than the limit, through every command that reads one: each says what is
 * wrong in one line (a numbered bad line, an invalid message, a dead letter), never a stack.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lines, site, tempDir } from './publish-support.js';

const DEEP = 3_000;
const nested = `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`;
const TOO_DEEP = 'nested more than 512 levels deep';

function file(text: string): string {
  const path = join(tempDir(), 'in.ndjson');
  writeFileSync(path, `${text}\n`);
  return path;
}

const noStack = (stderr: string) => {
  expect(stderr).not.toContain('This is a bug in thoth');
  expect(stderr).not.toMatch(/\n\s+at /);
};

describe('a body nested thousands of levels deep', () => {
  it('publish --file --dry-run names the line and sends nothing', async () => {
    const s = site('embedded');
    const path = file(`{"package_name": "a", "index_url": "https://index.example/simple", "x": ${nested}}`);
    const result = await s.thoth(['publish', 'unresolved-package', '--file', path, '--dry-run']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`in.ndjson:1: not valid JSON (${TOO_DEEP}`);
    expect(result.stdout).toBe('');
    noStack(result.stderr);
  });

  it('publish --json refuses it as a usage error', async () => {
    const result = await site('embedded').thoth(['publish', 'repo-init', '--json', `{"project_url": ${nested}}`, '--dry-run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(TOO_DEEP);
    noStack(result.stderr);
  });

  it('replay reports a numbered bad line and sends the others', async () => {
    const s = site('embedded');
    const good = JSON.stringify({
      topic: 'thoth.repo-init',
      key: null,
      headers: {},
      timestamp: 1,
      value: { component_name: 'c', service_version: '1', project_url: 'https://git.example/x' },
    });
    const path = file(`{"topic":"thoth.repo-init","key":null,"headers":{},"timestamp":1,"value":{"project_url":${nested}}}\n${good}`);
    const result = await s.thoth(['replay', path]);
    // A bad line fails the run, as any malformed line does; the good one is sent all the same.
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`in\\.ndjson:1: not valid JSON: ${TOO_DEEP}`));
    expect(result.stderr).toContain('sent 1 message');
    noStack(result.stderr);
  });

  it('tail flags it as invalid in every format, and the investigator dead-letters it', async () => {
    const s = site('embedded');
    // A kcat line carries the body as text: replay sends it as it is, invalid, when asked to.
    const path = file(JSON.stringify({ topic: 'thoth.repo-init', key: null, headers: {}, ts: 1, payload: `{"project_url": ${nested}}` }));
    const sent = await s.thoth(['replay', path, '--include-invalid']);
    expect(sent.code).toBe(0);
    expect(sent.stderr).toContain(TOO_DEEP);
    for (const format of ['pretty', 'ndjson', 'json']) {
      const result = await s.thoth(['tail', 'repo-init', '--exit-at-end', '-o', format]);
      expect(result.code, format).toBe(0);
      expect(format === 'pretty' ? result.stdout : result.stderr + result.stdout, format).toContain(TOO_DEEP);
      noStack(result.stderr);
    }
    const ndjson = await s.thoth(['tail', 'repo-init', '--exit-at-end', '-o', 'ndjson']);
    expect(lines(ndjson.stdout)).toHaveLength(1);

    const run = await s.thoth(['investigate', '--until-idle', '1', '--workflows', 'record', '--port', 'none', '-o', 'ndjson']);
    expect(run.code).toBe(0);
    noStack(run.stderr);
    const letters = await s.thoth(['query', 'dead-letters', '-o', 'json']);
    const [letter] = JSON.parse(letters.stdout) as Array<Record<string, unknown>>;
    expect(letter).toMatchObject({ topic: `${s.deployment}.thoth.repo-init`, error_class: 'NotJson' });
    expect(letter.reason).toContain(TOO_DEEP);
  });

  it('investigate --from dead-letters a kcat line whose payload nests too deep', async () => {
    const s = site('embedded');
    const path = file(JSON.stringify({ topic: 'thoth.repo-init', key: null, headers: {}, ts: 1, payload: `{"project_url": ${nested}}` }));
    const result = await s.thoth(['investigate', '--from', path, '--allow-dead-letters', '-o', 'ndjson']);
    expect(result.code).toBe(0);
    noStack(result.stderr);
    const events = lines(result.stdout);
    expect(events.find((e) => e.event === 'dead-letter')).toMatchObject({ errorClass: 'NotJson' });
  });
});
