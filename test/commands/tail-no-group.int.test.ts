/**
 * `thoth tail` without --group leaves no consumer group behind, as `kcat -C`
 * leaves none: the broker's own group list (the admin client's ListGroups,
 * what kafka-consumer-groups --list shows) is checked while it runs and after.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runThoth } from '../support/cli.js';
import { kafkaBootstrap, kcatProduce, uniqueTopic } from '../support/kafka.js';

async function groupsOf(clientId: string): Promise<string[]> {
  const admin = new kafkajs.Kafka({ brokers: [kafkaBootstrap()], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return (await admin.listGroups()).groups.map((g) => g.groupId).filter((id) => id.includes(clientId));
  } finally {
    await admin.disconnect();
  }
}

describe('tail without --group', () => {
  it('reads as a throwaway group while it runs and leaves no group behind, at its end or on Ctrl-C', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('tail-group');
    await kcatProduce(topic, { value: '{"a": 1}' });
    const clientId = `tail-${randomUUID().slice(0, 8)}`;
    const env = cleanEnv({ KAFKA_BOOTSTRAP_SERVERS: kafkaBootstrap(), KAFKA_CLIENT_ID: clientId });
    const db = join(mkdtempSync(join(tmpdir(), 'thoth-tail-group-')), 'thoth.db');

    const atEnd = await runThoth(['--db', db, 'tail', topic, '--exit-at-end', '-o', 'ndjson'], { env });
    expect(atEnd.code).toBe(0);
    expect(atEnd.stdout).toContain('"value":{"a": 1}');
    expect(await groupsOf(clientId)).toEqual([]);

    // Following the topic: the group exists while tail reads (so the check above could fail), and is gone after Ctrl-C.
    const stop = new AbortController();
    const following = runThoth(['--db', db, 'tail', topic, '-o', 'ndjson'], { env, signal: stop.signal });
    let during: string[] = [];
    for (let i = 0; i < 100 && during.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 200));
      during = await groupsOf(clientId);
    }
    expect(during).toEqual([expect.stringMatching(new RegExp(`^thoth-ephemeral-${clientId}-`))]);
    stop.abort();
    expect((await following).code).toBe(130);
    expect(await groupsOf(clientId)).toEqual([]);
  });
});
