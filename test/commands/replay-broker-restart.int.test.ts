/**
 * `thoth replay` against a broker of this file's own that is killed (SIGKILL,
 * as a crash) in the middle of the replay: brought back within the retry
 * time, the replay waits for it and every line is written exactly once
 * (the idempotent producer); never brought back, the replay stops, names the
 * first line not acknowledged, and `--resume-from` sends the rest.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killKafka, restartKafka, startKafka, stopKafka } from '../../scripts/kafka.mjs';
import { cleanEnv, runThoth } from '../support/cli.js';

interface Broker {
  bootstrap: string;
  pid: number;
  dir: string;
}

let broker: Broker | undefined;
let work: string;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'thoth-replay-restart-'));
  broker = (await startKafka(process.env, { stopWithProcess: true })) as Broker;
}, 120_000);
afterAll(async () => {
  if (broker) await stopKafka(broker);
  rmSync(work, { recursive: true, force: true });
}, 60_000);

const LINES = 1500;

/** A recorded stream of repo-init messages, the key of line i being `k<i>`. */
function stream(name: string): string {
  const path = join(work, name);
  const lines = Array.from({ length: LINES }, (_, i) =>
    JSON.stringify({
      topic: 'thoth.repo-init',
      key: `k${i + 1}`,
      headers: {},
      value: { component_name: 'c', service_version: '1', version: 'v1', project_url: `https://git.example/p${i + 1}`, job_id: null },
      timestamp: 1_700_000_000_000 + i,
    }),
  );
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** The keys of a topic in offset order, read by kcat. */
function keysOf(topic: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'kcat',
      ['-b', broker!.bootstrap, '-C', '-t', topic, '-e', '-q', '-o', 'beginning', '-f', '%k\n'],
      { timeout: 60_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout.split('\n').filter(Boolean))),
    );
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function thoth(args: string[], deployment: string) {
  return runThoth(['--db', join(work, `${deployment}.db`), '--deployment-name', deployment, ...args], {
    env: cleanEnv({ KAFKA_BOOTSTRAP_SERVERS: broker!.bootstrap }),
  });
}

describe('replay while the broker is killed', () => {
  it('waits for a broker that comes back and writes every line exactly once', { timeout: 180_000 }, async () => {
    const file = stream('comes-back.ndjson');
    const replay = thoth(['replay', file, '--rate', '250/s', '--retry-for', '2m'], 'back');
    await sleep(2_500);
    await killKafka(broker);
    await sleep(3_000);
    await restartKafka(broker, process.env, { stopWithProcess: true });
    const result = await replay;
    expect(result.stderr).toContain('trying again');
    expect(result.stderr).toContain(`sent ${LINES} messages`);
    expect(result.code).toBe(0);
    const keys = await keysOf('back.thoth.repo-init');
    expect(keys).toEqual(Array.from({ length: LINES }, (_, i) => `k${i + 1}`));
  });

  it(
    'stops when the broker stays away, names the first line not sent, and --resume-from sends the rest',
    { timeout: 180_000 },
    async () => {
      const file = stream('stays-away.ndjson');
      const replay = thoth(['replay', file, '--rate', '250/s', '--retry-for', '4s'], 'away');
      await sleep(2_500);
      await killKafka(broker);
      const stopped = await replay;
      expect(stopped.code).toBe(1);
      const resume = /run the same command with --resume-from (\S+):(\d+)/.exec(stopped.stderr);
      expect(resume, stopped.stderr).not.toBeNull();
      expect(resume![1]).toBe(file);
      const firstNotSent = Number(resume![2]);
      const unacknowledged = Number(/the (\d+) lines? of the batch in flight/.exec(stopped.stderr)?.[1]);
      expect(firstNotSent).toBeGreaterThan(1);
      expect(firstNotSent).toBeLessThan(LINES);
      expect(stopped.stderr).toContain(`sent ${firstNotSent - 1} messages`);

      await restartKafka(broker, process.env, { stopWithProcess: true });
      const rest = await thoth(['replay', file, '--resume-from', `${file}:${firstNotSent}`], 'away');
      expect(rest.code).toBe(0);
      expect(rest.stderr).toContain(`sent ${LINES - firstNotSent + 1} messages`);
      expect(rest.stderr).toContain(`resumed: ${firstNotSent - 1} lines before --resume-from not read`);

      const keys = await keysOf('away.thoth.repo-init');
      // Every line is there, in order; only a line of the batch the broker never acknowledged may be there twice.
      const expected = Array.from({ length: LINES }, (_, i) => `k${i + 1}`);
      const deduplicated = keys.filter((key, i) => keys.indexOf(key) === i);
      expect(deduplicated).toEqual(expected);
      expect(keys.length - LINES).toBeLessThanOrEqual(unacknowledged);
    },
  );
});
