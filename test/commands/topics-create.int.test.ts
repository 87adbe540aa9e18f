import { describe, expect, it } from 'vitest';
import { site } from './publish-support.js';

describe('thoth topics create on Kafka', () => {
  it('gives the reason once when the broker refuses the replication factor', async () => {
    const s = site('kafka');
    const result = await s.thoth(['topics', 'create', '--replication-factor', '3', '-o', 'json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/the broker refused to create 21 topics: replication factor 3 is larger than the \d+ available broker/);
    expect(result.stderr.match(/replication factor 3/g)).toHaveLength(1);
  }, 60_000);

  it('says when existing topics have fewer partitions than asked', async () => {
    const s = site('kafka');
    expect((await s.thoth(['topics', 'create', '--partitions', '1', '-o', 'json'])).code).toBe(0);
    const again = await s.thoth(['topics', 'create', '--partitions', '5', '-o', 'json']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('21 topics already exist with fewer than 5 partitions; existing topics are left as they are');
  }, 60_000);
});

describe('thoth topics create on the embedded broker', () => {
  it('says --partitions does not apply', async () => {
    const result = await site('embedded').thoth(['topics', 'create', '--partitions', '3', '-o', 'json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('the embedded broker has one partition per topic: --partitions 3 does not apply');
  });
});
