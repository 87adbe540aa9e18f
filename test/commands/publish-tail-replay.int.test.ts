/**
 * publish, tail, replay and topics against both transports: the embedded
 * broker (SQLite file) and a real Kafka broker. The same expectations hold
 * on both; a recorded stream round-trips through tail -o ndjson and replay.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INDEX, TRANSPORTS, lines, site, tempDir, type Site } from './publish-support.js';

const FIXTURES = new URL('../../fixtures/streams/', import.meta.url);
const ALL_TYPES = new URL('all-types.ndjson', FIXTURES).pathname;
const STORY = new URL('continuous-learning.ndjson', FIXTURES).pathname;

/** What must survive a round trip: where (as a base topic), key, headers and body. */
function portable(records: Array<Record<string, any>>, deployment: string) {
  return records
    .map((r) => ({ topic: (r.topic as string).replace(`${deployment}.`, ''), key: r.key, headers: r.headers, value: r.value }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

async function tailAll(s: Site, extra: string[] = []): Promise<Array<Record<string, any>>> {
  const result = await s.thoth(['tail', '--all', '--exit-at-end', '-o', 'ndjson', ...extra]);
  expect(result.code).toBe(0);
  return lines(result.stdout);
}

describe.each(TRANSPORTS)('message commands on the %s broker', (kind) => {
  it('publish prints where the message landed, and tail shows exactly what was sent', async () => {
    const s = site(kind);
    const published = await s.thoth([
      'publish',
      'unresolved-package',
      'requests==2.25.1',
      '--adviser-id',
      'adviser-1',
      '--header',
      'trace=t1',
      '-o',
      'json',
    ]);
    expect(published.code).toBe(0);
    expect(JSON.parse(published.stdout)).toEqual([
      { topic: `${s.deployment}.thoth.investigator.unresolved-package`, partition: expect.any(Number), offset: 0, key: 'requests==2.25.1' },
    ]);

    const tail = await s.thoth(['tail', 'unresolved-package', '--exit-at-end', '-o', 'ndjson']);
    expect(tail.code).toBe(0);
    expect(lines(tail.stdout)).toEqual([
      {
        topic: `${s.deployment}.thoth.investigator.unresolved-package`,
        key: 'requests==2.25.1',
        headers: { trace: 't1', 'thoth-adviser-id': 'adviser-1' },
        value: {
          component_name: 'thoth',
          service_version: '0.1.0',
          version: 'v1',
          package_name: 'requests',
          index_url: INDEX,
          package_version: '2.25.1',
          solver: null,
        },
        timestamp: expect.any(Number),
        partition: expect.any(Number),
        offset: 0,
      },
    ]);
  });

  it('publish --partition writes to the partition named, and refuses one the topic does not have', async () => {
    const s = site(kind);
    // Kafka's topics as a deployment makes them with three partitions; the embedded broker has one per topic.
    const partitions = kind === 'kafka' ? 3 : 1;
    if (kind === 'kafka') expect((await s.thoth(['topics', 'create', '--partitions', '3'])).code).toBe(0);
    const topic = `${s.deployment}.thoth.investigator.unresolved-package`;
    const last = partitions - 1;
    const published = await s.thoth(['publish', 'unresolved-package', 'requests==2.25.1', '--partition', String(last), '-o', 'json']);
    expect(published.code, published.stderr).toBe(0);
    expect(JSON.parse(published.stdout)).toEqual([{ topic, partition: last, offset: 0, key: 'requests==2.25.1' }]);
    const refused = await s.thoth(['publish', 'unresolved-package', 'flask==2.0.1', '--partition', String(partitions), '-o', 'json']);
    expect(refused.code).toBe(1);
    const range = partitions === 1 ? '1 partition (0)' : `${partitions} partitions (0-${last})`;
    expect(refused.stderr).toContain(`error: topic ${topic} has no partition ${partitions}: it has ${range}`);
    expect(refused.stdout).toBe('');
    expect((await tailAll(s)).map((r) => [r.partition, r.key])).toEqual([[last, 'requests==2.25.1']]);
  });

  it('tail → replay onto another deployment reproduces keys, headers and bodies of every type', async () => {
    const a = site(kind);
    const replayed = await a.thoth(['replay', ALL_TYPES]);
    expect(replayed.code).toBe(0);
    expect(replayed.stderr).toContain('sent 20 messages');
    const recorded = await tailAll(a);
    expect(recorded).toHaveLength(20);
    const fixture = readFileSync(ALL_TYPES, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>);
    expect(portable(recorded, a.deployment)).toEqual(portable(fixture, 'none'));

    const file = join(tempDir(), 'recorded.ndjson');
    writeFileSync(file, recorded.map((r) => JSON.stringify(r)).join('\n'));
    const b = a.elsewhere();
    const again = await b.thoth(['replay', file]);
    expect(again.code).toBe(0);
    const moved = await tailAll(b);
    expect(moved.every((r) => (r.topic as string).startsWith(`${b.deployment}.thoth.`))).toBe(true);
    expect(portable(moved, b.deployment)).toEqual(portable(recorded, a.deployment));
  });

  it('replay --keep-partitions sends each line to the partition it was recorded in', async () => {
    const a = site(kind);
    const b = a.elsewhere();
    // Kafka's topics with three partitions in both deployments; the embedded broker has one per topic.
    const partitions = kind === 'kafka' ? [2, 0, 1] : [0, 0, 0];
    if (kind === 'kafka') for (const s of [a, b]) expect((await s.thoth(['topics', 'create', '--partitions', '3'])).code).toBe(0);
    for (const [i, partition] of partitions.entries())
      expect((await a.thoth(['publish', 'unresolved-package', `requests==2.25.${i}`, '--partition', String(partition)])).code).toBe(0);
    const recorded = await tailAll(a);
    const file = join(tempDir(), 'recorded.ndjson');
    writeFileSync(file, recorded.map((r) => JSON.stringify(r)).join('\n'));
    const again = await b.thoth(['replay', file, '--keep-partitions']);
    expect(again.code, again.stderr).toBe(0);
    const where = (records: Array<Record<string, any>>) => records.map((r) => `${r.key}@${r.partition}`).sort();
    expect(where(await tailAll(b))).toEqual(partitions.map((p, i) => `requests==2.25.${i}@${p}`).sort());

    // A partition the topic does not have stops the replay before that line, naming the topic's partitions.
    writeFileSync(file, `${JSON.stringify({ ...recorded[0], partition: 7 })}\n`);
    const refused = await b.thoth(['replay', file, '--keep-partitions']);
    expect(refused.code).toBe(1);
    const range = kind === 'kafka' ? '3 partitions (0-2)' : '1 partition (0)';
    expect(refused.stderr).toContain(
      `stopped: topic ${b.deployment}.thoth.investigator.unresolved-package has no partition 7: it has ${range}`,
    );
    expect(where(await tailAll(b))).toHaveLength(3);
  });

  it('replays the continuous-learning story, the redelivered record included', async () => {
    const s = site(kind);
    const result = await s.thoth(['replay', STORY, '--speed', '100000', '-o', 'json']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ read: 9, sent: 9, invalid: 0, malformed: 0 });
    expect(summary.topics[`${s.deployment}.thoth.solver.solved-package`]).toBe(4);
    const solved = await s.thoth(['tail', 'solved-package', '--exit-at-end', '--filter', 'solver=solver-rhel-8-py38', '-o', 'ndjson']);
    expect(lines(solved.stdout).map((r) => r.value.solver)).toEqual(['solver-rhel-8-py38', 'solver-rhel-8-py38']);
  });

  it('shows a message that fails validation flagged with the reason, in every format', async () => {
    const s = site(kind);
    const bad = {
      topic: 'thoth.solver.solved-package',
      key: null,
      headers: {},
      value: { component_name: 'x', service_version: '1', version: 'v1', package_name: 'requests', package_version: 2 },
      timestamp: 1,
    };
    const file = join(tempDir(), 'bad.ndjson');
    writeFileSync(file, `${JSON.stringify(bad)}\n`);
    const refused = await s.thoth(['replay', file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${file}:1: invalid solved-package message`);
    const sent = await s.thoth(['replay', file, '--include-invalid']);
    expect(sent.code).toBe(0);

    const pretty = await s.thoth(['tail', 'solved-package', '--exit-at-end', '-o', 'table']);
    expect(pretty.stdout).toContain('INVALID solved-package v1');
    expect(pretty.stdout).toMatch(/✗ package_version: .*str/);
    expect(pretty.stdout).toMatch(/✗ index_url: /);
    const ndjson = await s.thoth(['tail', 'solved-package', '--exit-at-end', '-o', 'ndjson']);
    expect(lines(ndjson.stdout)).toHaveLength(1);
    expect(lines(ndjson.stdout)[0].value).toEqual(bad.value);
    expect(ndjson.stderr).toMatch(/warning: invalid solved-package message at .*solved-package \d+@0: .*package_version/);
    const json = await s.thoth(['tail', 'solved-package', '--exit-at-end', '-o', 'json']);
    const [item] = JSON.parse(json.stdout);
    expect(item.type).toBe('solved-package');
    expect(item.invalid.map((e: { field: string }) => e.field).sort()).toEqual(['index_url', 'package_version', 'solver']);
  });

  it('masks secret fields in tail output unless --show-secrets', async () => {
    const s = site(kind);
    const published = await s.thoth([
      'publish',
      'package-extract-trigger',
      '--field',
      'image=img',
      '--field',
      'environment_type=runtime',
      '--field',
      'registry_password=hunter22',
    ]);
    expect(published.code).toBe(0);
    for (const format of ['table', 'wide', 'ndjson', 'json', 'yaml']) {
      const masked = await s.thoth(['tail', 'package-extract-trigger', '--exit-at-end', '-o', format]);
      expect(masked.stdout).toContain('***');
      expect(masked.stdout + masked.stderr).not.toContain('hunter22');
    }
    const shown = await s.thoth(['tail', 'package-extract-trigger', '--exit-at-end', '-o', 'ndjson', '--show-secrets']);
    expect(lines(shown.stdout)[0].value.registry_password).toBe('hunter22');
  });

  it('filters on decoded fields, counts, and starts where asked', async () => {
    const s = site(kind);
    for (const spec of ['requests==2.25.1', 'flask==2.0.1', 'Requests==2.26.0']) {
      expect((await s.thoth(['publish', 'solved-package', spec, '--solver', 'solver-rhel-8-py38'])).code).toBe(0);
    }
    const filtered = await s.thoth(['tail', 'solved-package', '--exit-at-end', '--filter', 'package_name=requests', '-o', 'ndjson']);
    expect(lines(filtered.stdout).map((r) => r.value.package_version)).toEqual(['2.25.1', '2.26.0']);
    const counted = await s.thoth(['tail', 'solved-package', '--from-beginning', '--count', '2', '-o', 'ndjson']);
    expect(counted.code).toBe(0);
    expect(lines(counted.stdout)).toHaveLength(2);
    const fromOffset = await s.thoth(['tail', 'solved-package', '--exit-at-end', '--offset', '2', '-o', 'ndjson']);
    expect(lines(fromOffset.stdout).map((r) => r.offset)).toEqual([2]);
    const recent = await s.thoth(['tail', 'solved-package', '--exit-at-end', '--since', '1h', '-o', 'ndjson']);
    expect(lines(recent.stdout)).toHaveLength(3);
    const future = await s.thoth(['tail', 'solved-package', '--exit-at-end', '--since', '2999-01-01T00:00:00Z', '-o', 'ndjson']);
    expect(lines(future.stdout)).toEqual([]);
  });

  it('tail --group continues after what the group has read', async () => {
    const s = site(kind);
    const publish = (spec: string) => s.thoth(['publish', 'solved-package', spec, '--solver', 'solver-rhel-8-py38']);
    expect((await publish('requests==1.0')).code).toBe(0);
    expect((await publish('requests==2.0')).code).toBe(0);
    const group = `g-${s.deployment}`;
    const first = await s.thoth(['tail', 'solved-package', '--group', group, '--exit-at-end', '-o', 'ndjson']);
    expect(lines(first.stdout).map((r) => r.value.package_version)).toEqual(['1.0', '2.0']);
    expect((await publish('requests==3.0')).code).toBe(0);
    expect((await publish('requests==4.0')).code).toBe(0);
    // --count stops after one: the group must not have committed the record it did not show.
    const one = await s.thoth(['tail', 'solved-package', '--group', group, '--count', '1', '-o', 'ndjson']);
    expect(lines(one.stdout).map((r) => r.value.package_version)).toEqual(['3.0']);
    const rest = await s.thoth(['tail', 'solved-package', '--group', group, '--exit-at-end', '-o', 'ndjson']);
    expect(lines(rest.stdout).map((r) => r.value.package_version)).toEqual(['4.0']);
  });

  it('topics create makes every catalogue topic and the dead-letter topic; topics lists them', async () => {
    const s = site(kind);
    const created = await s.thoth(['topics', 'create', '-o', 'table']);
    expect(created.code).toBe(0);
    const names = created.stdout.trim().split('\n');
    expect(names).toHaveLength(21);
    expect(names).toContain(`${s.deployment}.thoth.investigator.dead-letter`);
    expect(names.every((n) => n.startsWith(`${s.deployment}.thoth.`))).toBe(true);
    expect((await s.thoth(['topics', 'create'])).stderr).toContain('created 0 topics; 21 already existed');

    await s.thoth(['publish', 'repo-init', '--field', 'project_url=https://git.example/demo']);
    const listed = await s.thoth(['topics', '-o', 'json']);
    const rows = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(21);
    expect(rows.every((r) => r.exists === true)).toBe(true);
    expect(rows.find((r) => r.type === 'repo-init')).toMatchObject({ topic: `${s.deployment}.thoth.repo-init`, messages: 1 });
  });
});
