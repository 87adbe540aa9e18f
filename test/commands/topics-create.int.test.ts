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

describe('thoth topics on Kafka, as kcat -L shows them', () => {
  it("creates topics with upstream's compression variables and lists leaders, high-water marks and settings", async () => {
    const s = site('kafka');
    const env = { ...s.env, KAFKA_TOPIC_PRODUCER_COMPRESSION_TYPE: 'zstd', KAFKA_TOPIC_PRODUCER_COMPRESSION_LEVEL: '7' };
    const created = await s.thoth(['topics', 'create', '-o', 'json'], { env });
    expect(created.code, created.stderr).toBe(0);
    for (const version of ['1.0.0', '1.0.1']) {
      const sent = await s.thoth(['publish', 'missing-package-version', `flask==${version}`, '-o', 'json'], { env });
      expect(sent.code, sent.stderr).toBe(0);
    }
    const listed = await s.thoth(['topics', '-o', 'json']);
    const row = (JSON.parse(listed.stdout) as Array<Record<string, any>>).find((r) => r.type === 'missing-package-version')!;
    expect(row).toMatchObject({
      exists: true,
      partitions: 1,
      messages: 2,
      partition_details: [{ partition: 0, leader: expect.any(Number), replicas: [expect.any(Number)], low: 0, high: 2 }],
      config: { 'compression.type': 'zstd', 'compression.zstd.level': '7' },
    });
    expect(row.partition_details[0].isr).toEqual(row.partition_details[0].replicas);
    const table = await s.thoth(['topics', '-o', 'table']);
    expect(table.stdout).toMatch(
      new RegExp(
        `${s.deployment}\\.thoth\\.package-update\\.missing-package-version: 1 partition; config compression\\.type=zstd compression\\.zstd\\.level=7.*\\n  partition 0  leader \\d+  replicas \\d+  isr \\d+  low 0  high 2\\n`,
      ),
    );
  }, 60_000);
});

describe('thoth topics create on the embedded broker', () => {
  it('says --partitions does not apply', async () => {
    const result = await site('embedded').thoth(['topics', 'create', '--partitions', '3', '-o', 'json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('the embedded broker has one partition per topic: --partitions 3 does not apply');
  });
});
