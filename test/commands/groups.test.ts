import { describe, expect, it } from 'vitest';
import { lines, site } from './publish-support.js';

async function seeded() {
  const s = site('embedded');
  for (const spec of ['a==1', 'b==1', 'c==1']) expect((await s.thoth(['publish', 'unresolved-package', spec])).code).toBe(0);
  const read = await s.thoth(['tail', 'unresolved-package', '--group', 'g1', '--exit-at-end', '-o', 'ndjson']);
  expect(lines(read.stdout)).toHaveLength(3);
  return s;
}

describe('thoth groups on the embedded broker', () => {
  it('lists the groups and describes one with its committed offsets and lag', async () => {
    const s = await seeded();
    await s.thoth(['publish', 'unresolved-package', 'd==1']);
    expect(JSON.parse((await s.thoth(['groups', 'list', '-o', 'json'])).stdout)).toEqual([{ group: 'g1', state: 'Empty' }]);
    expect((await s.thoth(['groups', 'list', '-o', 'name'])).stdout).toBe('g1\n');
    const described = JSON.parse((await s.thoth(['groups', 'describe', 'g1', '-o', 'json'])).stdout);
    expect(described).toEqual({
      group: 'g1',
      state: 'Empty',
      members: [],
      offsets: [
        { topic: `${s.deployment}.thoth.investigator.unresolved-package`, partition: 0, committed: 3, end: 4, lag: 1, member: null },
      ],
    });
    const table = await s.thoth(['groups', 'describe', 'g1'], { tty: true });
    expect(table.stdout).toContain('group g1: Empty, 0 member(s)');
    expect(table.stdout).toMatch(/TOPIC +PARTITION +COMMITTED +END +LAG/);
  });

  it('resets offsets: --dry-run shows, --execute sets, and a consumer of the group reads again from there', async () => {
    const s = await seeded();
    const topic = `${s.deployment}.thoth.investigator.unresolved-package`;
    /** What a consumer of the group reads from where the group stands. */
    const keysTheGroupReads = async () =>
      lines((await s.thoth(['tail', 'unresolved-package', '--group', 'g1', '--exit-at-end', '-o', 'ndjson'])).stdout).map((r) => r.key);
    const dry = await s.thoth(['groups', 'reset-offsets', 'g1', '--to-earliest', '--dry-run', '-o', 'json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toEqual([{ topic, partition: 0, current: 3, target: 0 }]);
    expect(dry.stderr).toContain('dry run: nothing changed');
    expect(JSON.parse((await s.thoth(['groups', 'describe', 'g1', '-o', 'json'])).stdout).offsets[0].committed).toBe(3);

    const shifted = await s.thoth([
      'groups',
      'reset-offsets',
      'g1',
      '--shift-by',
      '-2',
      '--topic',
      'unresolved-package',
      '--execute',
      '-o',
      'json',
    ]);
    expect(JSON.parse(shifted.stdout)).toEqual([{ topic, partition: 0, current: 3, target: 1 }]);
    expect(await keysTheGroupReads()).toEqual(['b==1', 'c==1']);

    // Kept within the partition.
    const far = await s.thoth(['groups', 'reset-offsets', 'g1', '--shift-by', '-100', '--execute', '-o', 'json']);
    expect(JSON.parse(far.stdout)[0].target).toBe(0);
    const latest = await s.thoth(['groups', 'reset-offsets', 'g1', '--to-latest', '--execute', '-o', 'json']);
    expect(JSON.parse(latest.stdout)[0].target).toBe(3);
    const byTime = await s.thoth(['groups', 'reset-offsets', 'g1', '--to-datetime', '1h', '--execute', '-o', 'json']);
    expect(JSON.parse(byTime.stdout)[0].target).toBe(0);

    // --to-offset, of one partition named as kafka-consumer-groups names it (TOPIC:PARTITION), kept within the partition.
    const past = await s.thoth([
      'groups',
      'reset-offsets',
      'g1',
      '--topic',
      'unresolved-package:0',
      '--to-offset',
      '2',
      '--execute',
      '-o',
      'json',
    ]);
    expect(JSON.parse(past.stdout)).toEqual([{ topic, partition: 0, current: 0, target: 2 }]);
    expect(await keysTheGroupReads()).toEqual(['c==1']);
    const beyond = await s.thoth(['groups', 'reset-offsets', 'g1', '--to-offset', '99', '--dry-run', '-o', 'json']);
    expect(JSON.parse(beyond.stdout)[0].target).toBe(3);
    const missing = await s.thoth(['groups', 'reset-offsets', 'g1', '--topic', 'unresolved-package:1', '--to-offset', '0', '--execute']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`error: topic ${topic} has no partition 1: it has 1 partition (0)`);
  });

  it('refuses while the group has members', async () => {
    const s = await seeded();
    const controller = new AbortController();
    const following = s.thoth(['tail', 'unresolved-package', '--group', 'g1', '-o', 'ndjson'], { signal: controller.signal });
    try {
      let described: { members: unknown[] } = { members: [] };
      for (let i = 0; i < 100 && described.members.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        described = JSON.parse((await s.thoth(['groups', 'describe', 'g1', '-o', 'json'])).stdout);
      }
      expect(described.members).toHaveLength(1);
      const refused = await s.thoth(['groups', 'reset-offsets', 'g1', '--to-earliest', '--execute']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('group g1 has 1 active member');
      expect(refused.stderr).toContain('offsets can only be reset while nothing consumes in it');
    } finally {
      controller.abort('SIGINT');
      await following;
    }
  });

  it.each([
    [['groups', 'reset-offsets', 'g1', '--to-earliest'], 'give --dry-run to see the new offsets, or --execute to set them'],
    [
      ['groups', 'reset-offsets', 'g1', '--dry-run'],
      'give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by',
    ],
    [['groups', 'reset-offsets', 'g1', '--to-offset', '-1', '--dry-run'], '--to-offset must be a non-negative integer, got "-1"'],
    [
      ['groups', 'reset-offsets', 'g1', '--to-earliest', '--topic', 'unresolved-package:one', '--dry-run'],
      '--topic takes TOPIC or TOPIC:PARTITION,... (e.g. unresolved-package:0,2), got "unresolved-package:one"',
    ],
    [['groups', 'reset-offsets', 'g1', '--to-earliest', '--to-latest', '--dry-run'], 'give exactly one of'],
    [['groups', 'reset-offsets', 'g1', '--shift-by', 'x', '--dry-run'], '--shift-by must be a whole number'],
    [['groups', 'reset-offsets', 'g1', '--to-datetime', 'soon', '--dry-run'], '--to-datetime expects an ISO-8601 time'],
    [
      ['groups', 'reset-offsets', 'g1', '--to-earliest', '--dry-run', '--execute'],
      "option '--dry-run' cannot be used with option '--execute'",
    ],
  ])('refuses %j', async (args, message) => {
    const result = await site('embedded').thoth(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
