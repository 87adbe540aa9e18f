/**
 * Crash safety against a real broker and the real API server: SIGKILL in the
 * middle of a stream, restart with the same group and cache, and nothing is
 * lost or done twice. SIGTERM: in-flight finished, offsets committed, group
 * left, exit 0 in 10 s. The workflows go through the fault proxy, which here
 * injects nothing and counts the creates; their namespace has no templates,
 * so Argo's controller ends each at once instead of running 200 of them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runThoth } from '../support/cli.js';
import { createNamespace, listWorkflows } from '../support/cluster.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { clusterInvestigateArgs, kafkaEnv, replayLines, solved, startInvestigator, unresolved, waitFor } from './investigator-process.js';

let dir: string;
let namespace: string;
let proxy: FaultProxy;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-kill-'));
  namespace = await createNamespace('kill-restart');
  proxy = await startFaultProxy();
});
afterEach(async () => {
  await proxy.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('investigator crash and restart on Kafka', () => {
  it('loses no message and creates no workflow twice when SIGKILLed mid-stream', { timeout: 120_000 }, async () => {
    const env = kafkaEnv();
    const db = join(dir, 'thoth.db');
    const N = 200;
    const stream = join(dir, 'stream.ndjson');
    // Two topics, so that two partitions are consumed at once.
    const lines = Array.from({ length: N }, (_, i) => (i % 2 === 0 ? unresolved('pkg-a', `1.0.${i}`) : solved('pkg-b', `2.0.${i}`)));
    writeFileSync(stream, `${lines.join('\n')}\n`);
    await replayLines(stream, env, join(dir, 'replay.db'));

    const args = clusterInvestigateArgs(db, proxy.kubeconfig(), namespace, ['--group', `${env.THOTH_DEPLOYMENT_NAME}-kill`]);
    const first = startInvestigator(args, env);
    await waitFor(() => proxy.stored().length >= 30, 'the first workflows');
    first.child.kill('SIGKILL');
    const killed = await first.exited;
    expect(killed.signal).toBe('SIGKILL');
    const createdBeforeKill = (await listWorkflows(namespace)).length;
    expect(createdBeforeKill).toBeLessThan(N);

    const second = startInvestigator([...args, '--until-idle', '3'], env);
    const done = await second.exited;
    expect(done.code, second.stderr()).toBe(0);

    // One workflow per message: a solver per unresolved version, security indicators per solved version.
    const names = (await listWorkflows(namespace)).map((w) => w.metadata.name);
    expect(names).toHaveLength(N);
    expect(new Set(names).size).toBe(N);
    expect(proxy.stored()).toHaveLength(N);

    // The ledger knows every one, and every message's facts are in the cache: the killed process's last
    // transaction may have committed without its cache seeing it, and then the knowledge topic brought it.
    const ledger = JSON.parse((await runThoth(['--db', db, 'query', 'workflows', '-o', 'json'], { env })).stdout) as Array<{
      name: string;
      source: { offset: number };
    }>;
    expect(new Set(ledger.map((w) => w.name))).toEqual(new Set(names));
    const facts = JSON.parse(
      (
        await runThoth(['--db', db, 'query', 'sql', 'SELECT kind, count(*) AS n FROM facts GROUP BY kind ORDER BY kind', '-o', 'json'], {
          env,
        })
      ).stdout,
    ) as Array<{ kind: string; n: number }>;
    expect(Object.fromEntries(facts.map((f) => [f.kind, f.n]))).toMatchObject({ request: N / 2, solved: N / 2, workflow: N });
    const stats = JSON.parse((await runThoth(['--db', db, 'query', 'stats', '-o', 'json'], { env })).stdout) as {
      tables: Record<string, number>;
    };
    expect(stats.tables.dead_letters).toBe(0);
  });

  it(
    'on SIGTERM finishes, commits, leaves the group and exits 0 within 10 s; a restart picks up at once',
    { timeout: 90_000 },
    async () => {
      const env = kafkaEnv();
      const db = join(dir, 'thoth.db');
      const stream = join(dir, 'stream.ndjson');
      writeFileSync(stream, `${[unresolved('flask', '2.0.1'), unresolved('flask', '2.0.2')].join('\n')}\n`);
      await replayLines(stream, env, join(dir, 'replay.db'));
      const args = ['--db', db, 'investigate', '--workflows', 'record', '--port', 'none', '--group', `${env.THOTH_DEPLOYMENT_NAME}-term`];

      const first = startInvestigator(args, env);
      await waitFor(() => first.events.filter((e) => e.event === 'processed').length === 2 || undefined, 'both messages');
      const signalledAt = Date.now();
      first.child.kill('SIGTERM');
      const exit = await first.exited;
      expect(exit.code).toBe(0);
      expect(Date.now() - signalledAt).toBeLessThan(10_000);
      expect(first.events.at(-1)).toMatchObject({ event: 'stopped', reason: 'signal' });

      // Committed and the group left: the next member starts right away, and receives only the new message.
      writeFileSync(stream, `${unresolved('flask', '2.0.3')}\n`);
      await replayLines(stream, env, join(dir, 'replay.db'));
      const started = Date.now();
      const second = startInvestigator([...args, '--until-idle', '2'], env);
      expect((await second.exited).code).toBe(0);
      const received = second.events.filter((e) => e.event === 'received').map((e) => e.offset);
      expect(received).toEqual([2]);
      expect(Date.now() - started).toBeLessThan(30_000);
    },
  );
});
