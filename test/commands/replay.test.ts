import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MESSAGE_TYPES } from '../../src/messages/catalogue.js';
import { cleanEnv, runThoth } from '../support/cli.js';
import { lines, site, tempDir } from './publish-support.js';

const FIXTURES = new URL('../../fixtures/streams/', import.meta.url);
const fixture = (name: string) => new URL(name, FIXTURES).pathname;
const records = (name: string) => lines(readFileSync(fixture(name), 'utf8'));

const envelope = (topic: string, value: unknown) => JSON.stringify({ topic, key: null, headers: {}, value, timestamp: 1 });
const repoInit = { component_name: 'c', service_version: '1', version: 'v1', project_url: 'https://git.example/demo', job_id: null };

function file(text: string): string {
  const path = join(tempDir(), 'stream.ndjson');
  writeFileSync(path, text);
  return path;
}

const validate = (args: string[], stdin?: string) => runThoth(['replay', '--validate-only', ...args], { env: cleanEnv(), stdin });

describe('fixtures/streams', () => {
  it('every recorded stream is valid', async () => {
    const result = await validate([fixture('all-types.ndjson'), fixture('continuous-learning.ndjson')]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('checked 29 lines: 29 valid, 0 invalid, 0 malformed');
  });

  it('all-types holds a message of each of the 20 types', () => {
    const topics = new Set(records('all-types.ndjson').map((r) => r.topic));
    expect([...topics].sort()).toEqual(MESSAGE_TYPES.map((t) => t.baseTopic).sort());
    expect(MESSAGE_TYPES).toHaveLength(20);
  });

  it('continuous-learning tells the loop of SPEC §1', () => {
    const story = records('continuous-learning.ndjson');
    const [first] = story;
    expect(first).toMatchObject({
      topic: 'thoth.investigator.unresolved-package',
      key: 'requests==2.25.1',
      value: { package_name: 'requests', package_version: '2.25.1' },
    });
    expect(first.headers['thoth-adviser-id']).toBeTruthy();
    const solvers = story.filter((r) => r.topic === 'thoth.solver.solved-package').map((r) => r.value.solver as string);
    expect(new Set(solvers)).toEqual(new Set(['solver-rhel-8-py38', 'solver-fedora-34-py39', 'solver-fedora-35-py310']));
    const positions = story.map((r) => `${r.topic}/${r.partition}/${r.offset}`);
    expect(new Set(positions).size).toBe(positions.length - 1); // one redelivery
    expect(story.some((r) => r.topic === 'thoth.update-provides-source-distro' && r.value.value === false)).toBe(true);
    expect(story.some((r) => r.topic === 'thoth.package-update.missing-package-version')).toBe(true);
  });
});

describe('thoth replay --validate-only', () => {
  it('reports each bad line with its number and goes on', async () => {
    const path = file(
      [
        envelope('thoth.repo-init', repoInit),
        '{"topic": "thoth.repo-init", "value": ',
        envelope('thoth.repo-init', { ...repoInit, project_url: 5 }),
        '',
        envelope('thoth.repo-init', repoInit),
      ].join('\n'),
    );
    const result = await validate([path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`warning: ${path}:2: not valid JSON`));
    expect(result.stderr).toContain(`warning: ${path}:3: invalid repo-init message: field 'project_url' must be str`);
    expect(result.stderr).toContain('checked 4 lines: 2 valid, 1 invalid, 1 malformed');
  });

  it('refuses a body of a version thoth does not read', async () => {
    const result = await validate(['-'], `${envelope('thoth.repo-init', { ...repoInit, version: 'v9' })}\n`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('<stdin>:1: invalid repo-init message: field \'version\' is "v9", but thoth reads repo-init v1 only');
  });

  it('stops at the first bad line with --strict', async () => {
    const path = file([envelope('thoth.repo-init', repoInit), 'nope', 'nope again'].join('\n'));
    const result = await validate([path, '--strict']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${path}:2:`);
    expect(result.stderr).not.toContain(`${path}:3:`);
    expect(result.stderr).toContain('stopped at the first bad line (--strict)');
  });

  it('names the missing field and its expected type', async () => {
    const result = await validate(['-'], '{"topic": "thoth.repo-init", "key": 3, "value": {}, "timestamp": 1}\n');
    expect(result.stderr).toContain('<stdin>:1: field "key" must be a string or null, got a number');
  });

  it('accepts kcat -J lines and warns once about a topic with no known type', async () => {
    const kcat = {
      topic: 'dev.thoth.repo-init',
      partition: 0,
      offset: 1,
      tstype: 'create',
      ts: 5,
      broker: 1,
      key: null,
      payload: JSON.stringify(repoInit),
    };
    const stdin = `${JSON.stringify(kcat)}\n${envelope('audit.log', 'free text')}\n${envelope('audit.log', 'more')}\n`;
    const result = await validate(['-'], stdin);
    expect(result.code).toBe(0);
    expect(result.stderr.match(/topic audit\.log carries no known message type/g)).toHaveLength(1);
    expect(result.stderr).toContain('checked 3 lines: 3 valid');
  });

  it('names a file it cannot read', async () => {
    const result = await validate(['/nonexistent/stream.ndjson']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: cannot read /nonexistent/stream.ndjson: no such file');
  });
});

describe('thoth replay arguments', () => {
  it.each([
    [['replay'], 'name at least one recorded stream'],
    [['replay', 'a.ndjson', '--rate', 'fast'], '--rate expects messages per second like 100 or 100/s, got "fast"'],
    [['replay', 'a.ndjson', '--speed', '-1'], '--speed expects a positive factor'],
    [['replay', 'a.ndjson', '--rate', '5', '--speed', '2'], '--rate and --speed cannot be used together'],
    [['replay', '-', '-'], 'stdin (-) can be read only once'],
  ])('%j', async (args, message) => {
    const result = await runThoth(args, { env: cleanEnv() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe('thoth replay', () => {
  it('sends at a --rate and from stdin, with base topics moved to the deployment', async () => {
    const s = site('embedded');
    const stdin = [1, 2, 3].map(() => envelope('thoth.repo-init', repoInit)).join('\n');
    const result = await s.thoth(['replay', '-', '--rate', '200/s'], { stdin });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('sent 3 messages');
    expect(result.stderr).toContain(`${s.deployment}.thoth.repo-init`);
    const tail = await s.thoth(['tail', 'repo-init', '--exit-at-end', '-o', 'ndjson']);
    expect(lines(tail.stdout)).toHaveLength(3);
  });

  it('keeps the recorded timestamps only when asked', async () => {
    const s = site('embedded');
    const path = file(envelope('thoth.repo-init', repoInit));
    await s.thoth(['replay', path, '--keep-timestamps']);
    await s.thoth(['replay', path]);
    const tail = await s.thoth(['tail', 'repo-init', '--exit-at-end', '-o', 'ndjson']);
    const [kept, fresh] = lines(tail.stdout);
    expect(kept.timestamp).toBe(1);
    expect(fresh.timestamp).toBeGreaterThan(1);
  });

  it('stamps a line that has no timestamp (or key, or headers) with the time it is read', async () => {
    const s = site('embedded');
    const before = Date.now();
    const stdin = `${JSON.stringify({ topic: 'thoth.repo-init', value: repoInit })}\n`;
    const result = await s.thoth(['replay', '-', '--keep-timestamps'], { stdin });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('sent 1 message');
    const [sent] = lines((await s.thoth(['tail', 'repo-init', '--exit-at-end', '-o', 'ndjson'])).stdout);
    expect(sent).toMatchObject({ key: null, headers: {}, value: repoInit });
    expect(sent.timestamp).toBeGreaterThanOrEqual(before);
    expect(sent.timestamp).toBeLessThanOrEqual(Date.now());
  });
});
