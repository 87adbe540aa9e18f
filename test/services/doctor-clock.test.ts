/**
 * The doctor's broker clock line from what the broker's reading says
 * (src/services/doctor.ts): ✔ within the API server check's tolerance
 * (5 s beyond the reading's bound), ✘ with the fix past it, a neutral line
 * with the reason where the broker cannot be asked, ✘ when asking failed.
 * The reading itself against a real broker: test/commands/doctor-clock.int.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { runDoctor, type DoctorInput } from '../../src/services/doctor.js';
import type { Broker, BrokerClockOptions, BrokerClockReading } from '../../src/transport/port.js';

function kafkaLike(clock: (options: BrokerClockOptions) => Promise<BrokerClockReading>): Broker {
  return {
    kind: 'kafka',
    address: 'kafka://127.0.0.1:9092',
    cluster: async () => ({ clusterId: 'c', controller: 1, brokers: [{ id: 1, host: '127.0.0.1', port: 9092 }], release: 'Kafka 4.1' }),
    topics: async () => [],
    groupLag: async () => [],
    clock,
  } as unknown as Broker;
}

async function brokerClockLine(clock: (options: BrokerClockOptions) => Promise<BrokerClockReading>) {
  const asked: BrokerClockOptions[] = [];
  const input: DoctorInput = {
    broker: async () =>
      kafkaLike(async (options) => {
        asked.push(options);
        return clock(options);
      }),
    store: async () => null,
    cachePath: '/tmp/none.db',
    kube: async () => ({ none: 'no cluster' }),
    topics: ['t'],
    group: 'thoth.investigator',
    indexUrls: [],
    namespaces: [],
    schemaVersion: 1,
    now: () => 1_000,
  };
  const checks = await runDoctor(input);
  return { check: checks.find((c) => c.name === 'broker clock')!, names: checks.map((c) => c.name), asked };
}

const reading = (aheadMs: number, boundMs: number): BrokerClockReading => ({
  aheadMs,
  boundMs,
  coordinator: '127.0.0.1:9092',
  transactionalId: 'thoth.investigator.doctor.x',
});

describe('the broker clock line', () => {
  it('comes after the consumer lag, and asks with the group, this clock and a 5 s budget', async () => {
    const { names, asked } = await brokerClockLine(async () => reading(0, 1));
    expect(names.slice(0, 4)).toEqual(['broker', 'topics', 'consumer lag', 'broker clock']);
    expect(asked).toEqual([{ group: 'thoth.investigator', now: expect.any(Function), timeoutMs: 5_000 }]);
    expect(asked[0].now()).toBe(1_000);
  });

  it('✔ within 5 s beyond the bound, with the offset and bound in ms', async () => {
    expect((await brokerClockLine(async () => reading(-5_400.4, 450.2))).check).toEqual({
      name: 'broker clock',
      status: 'ok',
      detail: "this machine's clock is 5.4 s behind the broker's (± 451 ms)",
      aheadMs: -5_400,
      boundMs: 451,
    });
  });

  it('✘ past it, with the fix', async () => {
    expect((await brokerClockLine(async () => reading(5_452, 451))).check).toEqual({
      name: 'broker clock',
      status: 'fail',
      detail: "this machine's clock is 5.5 s ahead of the broker's (± 451 ms)",
      fix: "synchronise this machine's clock (chrony or ntpd: timedatectl set-ntp true), or the broker's if this one is right",
      aheadMs: 5_452,
      boundMs: 451,
    });
  });

  it('a neutral line with the reason when the broker cannot be asked (an old Kafka, no ACL)', async () => {
    const { check } = await brokerClockLine(async () => ({
      unavailable: 'the broker cannot describe a transaction (DescribeTransactions needs Kafka 3.0 or later)',
    }));
    expect(check).toEqual({
      name: 'broker clock',
      status: 'skip',
      detail: "cannot ask the broker's clock: the broker cannot describe a transaction (DescribeTransactions needs Kafka 3.0 or later)",
    });
  });

  it('✘ when asking failed (no answer in time)', async () => {
    const { check } = await brokerClockLine(async () => {
      throw new Error('127.0.0.1:9092 did not answer InitProducerId within 3900 ms');
    });
    expect(check).toMatchObject({ status: 'fail', detail: '127.0.0.1:9092 did not answer InitProducerId within 3900 ms' });
    expect(check.fix).toContain('transaction coordinator');
  });
});
