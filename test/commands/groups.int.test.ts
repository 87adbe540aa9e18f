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
});
