import { describe, expect, it } from 'vitest';
import { site, TRANSPORTS } from './publish-support.js';

describe.each(TRANSPORTS)('thoth tail --exit-at-end of a topic that does not exist (%s)', (kind) => {
  it('says the topic does not exist, prints nothing and exits 0', async () => {
    const s = site(kind);
    const topic = `${s.deployment}.raw.topic.nonexist`;
    const result = await s.thoth(['tail', topic, '--exit-at-end', '-o', 'ndjson']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`topic ${topic} does not exist: nothing to read there`);
    expect(result.stderr).toContain('0 messages');
  }, 60_000);
});

describe('thoth tail --help', () => {
  it('says an explicit start applies only where the group has no committed offset', async () => {
    const result = await site('embedded').thoth(['tail', '--help']);
    expect(result.stdout.replace(/\s+/g, ' ')).toContain(
      '--from-beginning, --offset and --since apply only to partitions without a committed offset',
    );
  });
});
