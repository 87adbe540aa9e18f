/**
 * thoth and kcat as peers on one real Kafka broker: kcat reads what thoth
 * wrote byte for byte, and thoth reads what kcat wrote.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runThoth } from '../support/cli.js';
import { kcatConsume, kcatHeaders, kcatProduce } from '../support/kafka.js';
import { INDEX, lines, site, tempDir } from './publish-support.js';

describe('thoth and kcat on the same Kafka broker', () => {
  it('kcat -C -J reads the exact body, key and headers thoth published', async () => {
    const s = site('kafka');
    const dry = await s.thoth(['publish', 'unresolved-package', 'requests==2.25.1', '--adviser-id', 'adviser-7', '--dry-run']);
    const published = await s.thoth(['publish', 'unresolved-package', 'requests==2.25.1', '--adviser-id', 'adviser-7']);
    expect(published.code).toBe(0);
    const [record, ...rest] = await kcatConsume(`${s.deployment}.thoth.investigator.unresolved-package`);
    expect(rest).toEqual([]);
    expect(record.payload).toBe(dry.stdout.trimEnd());
    expect(record.key).toBe('requests==2.25.1');
    expect(kcatHeaders(record)).toEqual({ 'thoth-adviser-id': 'adviser-7' });
  });

  it('thoth tail decodes what kcat -P wrote, keys and headers included, and flags what is not a message', async () => {
    const s = site('kafka');
    const topic = `${s.deployment}.thoth.solver.solved-package`;
    const body = {
      component_name: 'solver',
      service_version: '1.0.0',
      version: 'v1',
      package_name: 'six',
      package_version: '1.16.0',
      index_url: INDEX,
      solver: 'solver-fedora-35-py310',
    };
    await kcatProduce(topic, { key: 'six==1.16.0', value: JSON.stringify(body), headers: { origin: 'kcat' } });
    await kcatProduce(topic, { key: 'junk', value: 'not json at all' });
    const tail = await s.thoth(['tail', 'solved-package', '--exit-at-end', '-o', 'ndjson']);
    expect(tail.code).toBe(0);
    const [first, second] = lines(tail.stdout);
    expect(first).toMatchObject({ topic, key: 'six==1.16.0', headers: { origin: 'kcat' }, value: body, offset: 0 });
    expect(second).toMatchObject({ topic, key: 'junk', value: 'not json at all', offset: 1 });
    expect(tail.stderr).toMatch(/warning: invalid solved-package message at .* \d+@1: .*must be a JSON object/);
  });

  it('replays kcat -J lines onto another deployment with the payload byte for byte', async () => {
    const a = site('kafka');
    const topic = `${a.deployment}.thoth.package-release.package-released`;
    // Compact JSON, unlike thoth's own serialiser: replay must not rewrite it.
    const payload = JSON.stringify({
      component_name: 'release-job',
      service_version: '2',
      version: 'v1',
      index_url: INDEX,
      package_name: 'flask',
      package_version: '2.0.2',
    });
    await kcatProduce(topic, { key: 'flask==2.0.2', value: payload, headers: { a: '1', b: '2' } });
    const recorded = await kcatConsume(topic);
    const file = join(tempDir(), 'kcat.ndjson');
    writeFileSync(file, recorded.map((r) => JSON.stringify(r)).join('\n'));

    const b = a.elsewhere();
    const replayed = await b.thoth(['replay', file]);
    expect(replayed.code).toBe(0);
    const [copy] = await kcatConsume(`${b.deployment}.thoth.package-release.package-released`);
    expect(copy.payload).toBe(payload);
    expect(copy.key).toBe('flask==2.0.2');
    expect(kcatHeaders(copy)).toEqual({ a: '1', b: '2' });
  });

  it('tail -o ndjson → replay reproduces the bodies thoth published byte for byte', async () => {
    const a = site('kafka');
    const fields = [
      '--field',
      'message=naïve pin ✓ "quoted"',
      '--field',
      'justification_type=INFO',
      '--field',
      'count=3',
      '--field',
      'adviser_version=1.0',
    ];
    expect((await a.thoth(['publish', 'advise-justification', ...fields, '--header', 'h=1'])).code).toBe(0);
    const tail = await a.thoth(['tail', 'advise-justification', '--exit-at-end', '-o', 'ndjson']);
    const file = join(tempDir(), 'recorded.ndjson');
    writeFileSync(file, tail.stdout);
    const b = a.elsewhere();
    expect((await b.thoth(['replay', file])).code).toBe(0);
    const [original] = await kcatConsume(`${a.deployment}.thoth.advise-reporter.advise-justification`);
    const [copy] = await kcatConsume(`${b.deployment}.thoth.advise-reporter.advise-justification`);
    expect(copy.payload).toBe(original.payload);
    // Python's json.dumps escapes non-ASCII text; the copy must too.
    expect(original.payload).toContain('"na\\u00efve pin \\u2713 \\"quoted\\""');
    expect(kcatHeaders(copy)).toEqual({ h: '1' });
  });

  it('THOTH_DEPLOYMENT_NAME prefixes the topics of publish, tail and topics', async () => {
    const s = site('kafka');
    const env = { ...s.env, THOTH_DEPLOYMENT_NAME: s.deployment };
    const published = await runThoth(
      ['--db', s.db, 'publish', 'repo-init', '--field', 'project_url=https://git.example/demo', '-o', 'ndjson'],
      { env },
    );
    expect(lines(published.stdout)[0].topic).toBe(`${s.deployment}.thoth.repo-init`);
    const [record] = await kcatConsume(`${s.deployment}.thoth.repo-init`);
    expect(JSON.parse(record.payload!)).toMatchObject({ project_url: 'https://git.example/demo' });
    const tail = await runThoth(['--db', s.db, 'tail', 'repo-init', '--exit-at-end', '-o', 'ndjson'], { env });
    expect(lines(tail.stdout)).toHaveLength(1);
    const topics = await runThoth(['--db', s.db, 'topics', '-o', 'json'], { env });
    const rows = JSON.parse(topics.stdout) as Array<{ topic: string; exists: boolean }>;
    expect(rows.every((r) => r.topic.startsWith(`${s.deployment}.thoth.`))).toBe(true);
    expect(rows.find((r) => r.topic === `${s.deployment}.thoth.repo-init`)!.exists).toBe(true);
  });
});
