/**
 * `thoth doctor`'s broker clock line against the real broker of
 * scripts/with-services.mjs: this machine's clock read against the
 * transaction coordinator's, on loopback (the same clock: within the bound),
 * with thoth's clock put 10 minutes ahead or behind (✘, the size named, exit
 * 1), and the transaction it begins for that aborted, also when the check
 * fails half-way.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKafkaSettings } from '../../src/config/kafka.js';
import { brokerClock } from '../../src/transport/kafka/broker-clock.js';
import { describeTransactionsRequest, frame, parseDescribeTransactions, parseFrame } from '../../src/transport/kafka/wire.js';
import { cleanEnv, runThoth } from '../support/cli.js';
import { kafkaBootstrap, readyTransactionCoordinator } from '../support/kafka.js';
import { expectBrokerClock } from '../support/clock.js';

const work = mkdtempSync(join(tmpdir(), 'thoth-doctor-clock-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeAll(() => readyTransactionCoordinator(kafkaBootstrap()), 60_000);

interface Check {
  name: string;
  status: string;
  detail: string;
  fix?: string;
  aheadMs?: number;
  boundMs?: number;
}

const TEN_MINUTES = 600_000;

/** thoth doctor with this machine's clock shifted by `shiftMs`. */
function doctorRun(shiftMs: number, output: 'json' | 'table') {
  const env = cleanEnv({ HOME: work, KAFKA_BOOTSTRAP_SERVERS: kafkaBootstrap(), THOTH_INDEX_URLS: 'https://index.example/simple' });
  return runThoth(['--db', join(work, 'thoth.db'), 'doctor', '-o', output], { env, clock: { now: () => Date.now() + shiftMs } });
}

async function doctor(shiftMs: number) {
  const run = await doctorRun(shiftMs, 'json');
  const checks = (JSON.parse(run.stdout) as { checks: Check[] }).checks;
  return { run, check: checks.find((c) => c.name === 'broker clock')! };
}

/** The coordinator's state of a transactional id, asked as the doctor asks (DescribeTransactions v0), on the plaintext listener. */
function transactionState(transactionalId: string): Promise<string> {
  const [host, port] = kafkaBootstrap().split(',')[0].split(':');
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port) }, () =>
      socket.write(frame(65, 0, true, 1, 'thoth-test', describeTransactionsRequest([transactionalId]))),
    );
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
      socket.destroy();
      const [state] = parseDescribeTransactions(parseFrame(received.subarray(4), true).body);
      resolve(state.error === 0 ? state.state : `error ${state.error}`);
    });
    socket.on('error', reject);
  });
}

describe('thoth doctor: the broker clock', () => {
  it('on loopback: the same clock, so within the bound, and ✔', async () => {
    const { run, check } = await doctor(0);
    expect(check).toMatchObject({ name: 'broker clock', status: 'ok' });
    expectBrokerClock(check.detail);
    expect(check.boundMs).toBeGreaterThanOrEqual(1);
    // The broker and this process read one clock: the reading is right to within its own bound.
    expect(Math.abs(check.aheadMs!)).toBeLessThanOrEqual(check.boundMs!);
    expect(check.fix).toBeUndefined();
    expect(run.stderr).not.toContain('error');
  });

  it("with this machine's clock 10 minutes ahead: ✘ naming the size, the fix, exit 1", async () => {
    const { run, check } = await doctor(TEN_MINUTES);
    expect(run.code).toBe(1);
    expect(check.status).toBe('fail');
    expectBrokerClock(check.detail, TEN_MINUTES);
    expect(check.fix).toContain("synchronise this machine's clock (chrony or ntpd");
    expect(Math.abs(check.aheadMs! - TEN_MINUTES)).toBeLessThanOrEqual(check.boundMs!);

    const table = (await doctorRun(TEN_MINUTES, 'table')).stdout.split('\n');
    const at = table.findIndex((line) => line.startsWith('✘ broker clock  '));
    expect(table[at]).toMatch(/^✘ broker clock {2}this machine's clock is \d+\.\d s ahead of the broker's \(± \d+ ms\)$/);
    expectBrokerClock(table[at].replace(/^✘ broker clock {2}/, ''), TEN_MINUTES);
    expect(table[at + 1]).toMatch(/^ {16}fix: synchronise this machine's clock \(chrony or ntpd: timedatectl set-ntp true\)/);
  });

  it("with this machine's clock 10 minutes behind: ✘, behind", async () => {
    const { run, check } = await doctor(-TEN_MINUTES);
    expect(run.code).toBe(1);
    expect(check.status).toBe('fail');
    expectBrokerClock(check.detail, -TEN_MINUTES);
  });

  it('aborts the transaction it began, and leaves none open when the check fails half-way', async () => {
    const settings = readKafkaSettings([kafkaBootstrap()], {});
    const group = `thoth-test.clock.${randomUUID().slice(0, 8)}`;
    const reading = await brokerClock(settings, { group, now: Date.now });
    expect(reading).toMatchObject({
      coordinator: expect.any(String),
      transactionalId: expect.stringMatching(new RegExp(`^${group}\\.doctor\\.`)),
    });
    if (!('transactionalId' in reading)) throw new Error('no reading');
    expect(['PrepareAbort', 'CompleteAbort']).toContain(await transactionState(reading.transactionalId));

    // This machine's clock fails right after the transaction began (the second reading, when AddOffsetsToTxn is answered).
    const transactionalId = `${group}.doctor.failing`;
    let reads = 0;
    const failing = () => {
      if (++reads === 2) throw new Error('the clock broke');
      return Date.now();
    };
    await expect(brokerClock(settings, { group, now: failing, transactionalId })).rejects.toThrow('the clock broke');
    expect(['PrepareAbort', 'CompleteAbort']).toContain(await transactionState(transactionalId));
  });
});
