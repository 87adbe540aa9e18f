import { describe, expect, it } from 'vitest';
import { lines, site } from './publish-support.js';

describe('thoth groups on Kafka', () => {
  it('lists and describes a group, resets its offsets with --dry-run then --execute', async () => {
    const s = site('kafka');
    const group = `g-${s.deployment}`;
    const topic = `${s.deployment}.thoth.investigator.unresolved-package`;
    for (const spec of ['a==1', 'b==1', 'c==1']) expect((await s.thoth(['publish', 'unresolved-package', spec])).code).toBe(0);
    expect(lines((await s.thoth(['tail', 'unresolved-package', '--group', group, '--exit-at-end', '-o', 'ndjson'])).stdout)).toHaveLength(
      3,
    );

    const listed = JSON.parse((await s.thoth(['groups', 'list', '-o', 'json'])).stdout) as Array<{ group: string; state: string }>;
    expect(listed).toContainEqual({ group, state: 'Empty' });
    const described = JSON.parse((await s.thoth(['groups', 'describe', group, '-o', 'json'])).stdout);
    expect(described).toMatchObject({
      group,
      state: 'Empty',
      members: [],
      offsets: [{ topic, partition: 0, committed: 3, end: 3, lag: 0 }],
    });

    const dry = await s.thoth(['groups', 'reset-offsets', group, '--to-earliest', '--dry-run', '-o', 'json']);
    expect(JSON.parse(dry.stdout)).toEqual([{ topic, partition: 0, current: 3, target: 0 }]);
    const shifted = await s.thoth(['groups', 'reset-offsets', group, '--shift-by', '-1', '--execute', '-o', 'json']);
    expect(shifted.code).toBe(0);
    expect(JSON.parse(shifted.stdout)).toEqual([{ topic, partition: 0, current: 3, target: 2 }]);
    const again = await s.thoth(['tail', 'unresolved-package', '--group', group, '--exit-at-end', '-o', 'ndjson']);
    expect(lines(again.stdout).map((r) => r.key)).toEqual(['c==1']);
  }, 120_000);

  it('moves one partition of a topic to an offset (--topic TOPIC:P --to-offset N), the others staying where they are', async () => {
    const s = site('kafka');
    const group = `g-${s.deployment}`;
    const topic = `${s.deployment}.thoth.investigator.unresolved-package`;
    expect((await s.thoth(['topics', 'create', '--partitions', '3'])).code).toBe(0);
    for (const partition of [0, 1, 2])
      for (const spec of ['a==1', 'b==1'])
        expect((await s.thoth(['publish', 'unresolved-package', spec, '--partition', String(partition)])).code).toBe(0);
    const read = await s.thoth(['tail', 'unresolved-package', '--group', group, '--exit-at-end', '-o', 'ndjson']);
    expect(lines(read.stdout)).toHaveLength(6);

    const moved = await s.thoth([
      'groups',
      'reset-offsets',
      group,
      '--topic',
      'unresolved-package:1',
      '--to-offset',
      '1',
      '--execute',
      '-o',
      'json',
    ]);
    expect(moved.code, moved.stderr).toBe(0);
    expect(JSON.parse(moved.stdout)).toEqual([{ topic, partition: 1, current: 2, target: 1 }]);
    const described = JSON.parse((await s.thoth(['groups', 'describe', group, '-o', 'json'])).stdout) as {
      offsets: Array<{ partition: number; committed: number }>;
    };
    expect(described.offsets.map((o) => [o.partition, o.committed])).toEqual([
      [0, 2],
      [1, 1],
      [2, 2],
    ]);
    const again = await s.thoth(['tail', 'unresolved-package', '--group', group, '--exit-at-end', '-o', 'ndjson']);
    expect(lines(again.stdout).map((r) => `${r.partition}:${r.key}`)).toEqual(['1:b==1']);

    const missing = await s.thoth(['groups', 'reset-offsets', group, '--topic', 'unresolved-package:0,5', '--to-earliest', '--execute']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`error: topic ${topic} has no partition 5: it has 3 partitions (0-2)`);
  }, 120_000);
});
