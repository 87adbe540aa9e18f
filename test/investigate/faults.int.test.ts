/**
 * Faults against the real broker and the real API server: creates failing
 * through the fault proxy in front of it (5xx, 429 with Retry-After, the
 * answer lost after the object was stored) and bad messages on the wire.
 * Every workflow exists exactly once at the end, every bad message is one
 * dead letter with its headers, and the consumer never stops. (Back-pressure
 * against Argo's real controller: test/cluster/back-pressure.test.ts.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runThoth } from '../support/cli.js';
import { kcatConsume, kcatHeaders } from '../support/kafka.js';
import { applyDeploy, createNamespace, listWorkflows } from '../support/cluster.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { clusterInvestigateArgs, INDEX, kafkaEnv, message, replayLines, startInvestigator, unresolved } from './investigator-process.js';

let dir: string;
let namespace: string;
let proxy: FaultProxy;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-faults-'));
  namespace = await createNamespace('faults');
  await applyDeploy(namespace);
  proxy = await startFaultProxy();
});
afterEach(async () => {
  await proxy.close();
  rmSync(dir, { recursive: true, force: true });
});

const SOLVED = 'thoth.solver.solved-package';

describe('investigator under faults, on Kafka', () => {
  it('creates every workflow exactly once while the Kubernetes API fails creates', { timeout: 120_000 }, async () => {
    const env = kafkaEnv();
    const db = join(dir, 'thoth.db');
    const versions = ['1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.0.5', '1.0.6'];
    const stream = join(dir, 'stream.ndjson');
    writeFileSync(stream, `${versions.map((v) => unresolved('flask', v)).join('\n')}\n`);
    await replayLines(stream, env, join(dir, 'replay.db'));

    proxy.inject({ kind: 'status', status: 500 }, { count: 2 });
    proxy.inject({ kind: 'throttle', retryAfterSeconds: 1 });
    proxy.inject({ kind: 'lost' }, { count: 2 });
    // More 503s in a row than the client retries: the record itself is retried. One create at a time, so that one
    // create meets them all (with more in flight, the next messages' creates would share them out).
    proxy.inject({ kind: 'status', status: 503 }, { count: 7 });

    const run = startInvestigator(
      clusterInvestigateArgs(db, proxy.kubeconfig(), namespace, ['--until-idle', '3', '--max-in-flight', '1']),
      env,
    );
    expect((await run.exited).code).toBe(0);

    const names = (await listWorkflows(namespace)).map((w) => w.metadata.name);
    expect(names).toHaveLength(versions.length);
    expect(new Set(names).size).toBe(versions.length);
    const posts = proxy.creates();
    // Each stored once, whether its answer arrived or the proxy cut it (a retry then met the real 409).
    expect(proxy.stored()).toHaveLength(versions.length);
    expect(posts.filter((r) => r.fault === 'lost')).toHaveLength(2);
    expect(posts.filter((r) => r.status === 500)).toHaveLength(2);
    expect(posts.filter((r) => r.status === 429)).toHaveLength(1);
    expect(posts.filter((r) => r.status === 503)).toHaveLength(7);

    expect(run.events.some((e) => e.event === 'retry')).toBe(true);
    expect(run.events.filter((e) => e.event === 'dead-letter')).toEqual([]);
    expect(run.events.at(-1)).toMatchObject({ event: 'summary', counts: { processed: versions.length, deadLetters: 0 } });
    const ledger = JSON.parse((await runThoth(['--db', db, 'query', 'workflows', '-o', 'json'], { env })).stdout) as Array<{
      name: string;
      status: string;
    }>;
    expect(new Set(ledger.map((w) => w.name))).toEqual(new Set(names));
    expect(run.stderr()).not.toContain(proxy.token);
  });

  it.each([
    ['the default (8)', [], 8],
    ['--max-in-flight 1', ['--max-in-flight', '1'], 1],
  ])(
    'a create whose answer is held back holds back no other message: the next creates go out meanwhile, at most %s at once',
    { timeout: 120_000 },
    async (_, flags, most) => {
      const env = kafkaEnv();
      const db = join(dir, 'thoth.db');
      const versions = ['3.0.0', '3.0.1', '3.0.2', '3.0.3', '3.0.4', '3.0.5', '3.0.6', '3.0.7', '3.0.8', '3.0.9', '3.0.10', '3.0.11'];
      const stream = join(dir, 'stream.ndjson');
      writeFileSync(stream, `${versions.map((v) => unresolved('flask', v)).join('\n')}\n`);
      await replayLines(stream, env, join(dir, 'replay.db'));
      // The server stores the first workflow at once; its answer reaches the investigator 3 s later.
      proxy.inject({ kind: 'slow', delayMs: 3_000 });

      const run = startInvestigator(clusterInvestigateArgs(db, proxy.kubeconfig(), namespace, ['--until-idle', '3', ...flags]), env);
      expect((await run.exited).code).toBe(0);

      const creates = proxy.creates();
      expect(creates).toHaveLength(versions.length);
      const [held, ...others] = creates;
      expect(held.fault).toBe('slow');
      // The messages after the held one went on without its answer (with one create in flight, none could)...
      const meanwhile = others.filter((c) => c.arrivedAt < held.answeredAt!).length;
      if (most === 1) expect(meanwhile).toBe(0);
      else expect(meanwhile).toBeGreaterThan(0);
      // ...and no more creates than allowed were waiting for an answer at any time.
      const outstanding = creates.map((c) => creates.filter((o) => o.arrivedAt <= c.arrivedAt && c.arrivedAt < o.answeredAt!).length);
      expect(Math.max(...outstanding)).toBeLessThanOrEqual(most);

      const names = (await listWorkflows(namespace)).map((w) => w.metadata.name);
      expect(new Set(names).size).toBe(versions.length);
      expect(run.events.filter((e) => e.event === 'scheduled')).toHaveLength(versions.length);
      expect(run.events.at(-1)).toMatchObject({ event: 'summary', counts: { processed: versions.length, deadLetters: 0 } });
      const ledger = JSON.parse((await runThoth(['--db', db, 'query', 'workflows', '-o', 'json'], { env })).stdout) as Array<{
        name: string;
        status: string;
      }>;
      expect(ledger.map((w) => w.name).sort()).toEqual([...names].sort());
    },
  );

  it('turns each bad message into one dead letter with its headers, reaching no cluster, and goes on', { timeout: 120_000 }, async () => {
    const env = kafkaEnv({ KAFKA_MESSAGE_MAX_BYTES: '2048' });
    const db = join(dir, 'thoth.db');
    const good = {
      component_name: 'solver',
      service_version: '1',
      version: 'v1',
      package_name: 'flask',
      package_version: '2.0.1',
      index_url: INDEX,
      solver: 'solver-rhel-8-py38',
    };
    const bad: Array<[string, string]> = [
      [message(SOLVED, {}).replace(/"value":\{[^}]*\}/, '"value":"{not json"'), 'NotJson'],
      [JSON.stringify({ topic: SOLVED, key: null, headers: {}, value: [1, 2], timestamp: 1 }), 'NotAnObject'],
      [JSON.stringify({ topic: SOLVED, key: null, headers: {}, value: { ...good, solver: 5 }, timestamp: 1 }), 'ValidationError'],
      [JSON.stringify({ topic: SOLVED, key: null, headers: {}, value: { ...good, version: 'v7' }, timestamp: 1 }), 'NoHandlerForVersion'],
      [
        JSON.stringify({ topic: SOLVED, key: null, headers: {}, value: { ...good, package_name: '../etc' }, timestamp: 1 }),
        'InvalidPackageName',
      ],
      [
        JSON.stringify({ topic: SOLVED, key: null, headers: {}, value: { ...good, package_version: 'not-a-version' }, timestamp: 1 }),
        'InvalidVersion',
      ],
      [
        JSON.stringify({
          topic: SOLVED,
          key: null,
          headers: {},
          value: { ...good, index_url: 'https://elsewhere.example/simple' },
          timestamp: 1,
        }),
        'UnregisteredIndex',
      ],
      [
        JSON.stringify({ topic: SOLVED, key: null, headers: {}, value: { ...good, component_name: 'x'.repeat(3000) }, timestamp: 1 }),
        'MessageTooLarge',
      ],
    ];
    const stream = join(dir, 'stream.ndjson');
    writeFileSync(
      stream,
      `${[...bad.map(([line]) => line), JSON.stringify({ topic: SOLVED, key: null, headers: {}, value: good, timestamp: 1 })].join('\n')}\n`,
    );
    // The producer keeps to the default limit; only the investigator reads with the small one.
    await replayLines(stream, { ...env, KAFKA_MESSAGE_MAX_BYTES: undefined }, join(dir, 'replay.db'));

    const run = startInvestigator(clusterInvestigateArgs(db, proxy.kubeconfig(), namespace, ['--until-idle', '3']), env);
    expect((await run.exited).code).toBe(0);

    const letters = run.events.filter((e) => e.event === 'dead-letter');
    expect(letters.map((e) => e.errorClass)).toEqual(bad.map(([, errorClass]) => errorClass));
    expect(run.events.filter((e) => e.event === 'processed').map((e) => e.offset)).toEqual([bad.length]);
    // Only the good message reached Kubernetes: security indicators for the version it solved.
    expect((await listWorkflows(namespace)).map((w) => w.metadata.labels.component)).toEqual(['security-indicators']);
    expect(proxy.creates()).toHaveLength(1);

    const dlq = await kcatConsume(`${env.THOTH_DEPLOYMENT_NAME}.thoth.investigator.dead-letter`);
    expect(dlq).toHaveLength(bad.length);
    dlq.forEach((record, i) => {
      expect(kcatHeaders(record)).toMatchObject({
        'thoth-source-topic': `${env.THOTH_DEPLOYMENT_NAME}.${SOLVED}`,
        'thoth-source-partition': '0',
        'thoth-source-offset': String(i),
        'thoth-error-class': bad[i][1],
        'thoth-reason': expect.any(String),
      });
    });
    const cached = JSON.parse((await runThoth(['--db', db, 'query', 'dead-letters', '-o', 'json'], { env })).stdout) as Array<{
      error_class: string;
      offset: number;
    }>;
    expect(cached.map((l) => [l.offset, l.error_class])).toEqual(bad.map(([, errorClass], i) => [i, errorClass]));
  });
});
