/**
 * SASL/SCRAM (SCRAM-SHA-256 and SCRAM-SHA-512) against a real broker: this
 * file starts its own broker (scripts/kafka.mjs) whose storage is formatted
 * with a SCRAM user for both mechanisms, with a SASL_PLAINTEXT listener and,
 * for SCRAM over TLS, a SASL_SSL listener signed by a throwaway CA
 * (test/support/tls.ts). thoth runs as a user runs it, configured by
 * environment variables only.
 */
import { describe, expect, it } from 'vitest';
import { ownTlsBroker } from '../support/tls-broker.js';
import { expectBrokerClock } from '../support/clock.js';

interface ScramBroker {
  saslBootstrap: string;
  saslSslBootstrap: string;
}

const USER = 'alice';
const PASSWORD = 'alice-scram-Secret-31';
const own = ownTlsBroker<ScramBroker>('scram', { scramUsers: { [USER]: PASSWORD } });
const thothAt = own.thothAt;

const login = (mechanism: string, password: string, username = USER) => ({
  KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
  KAFKA_SASL_MECHANISM: mechanism,
  KAFKA_SASL_USERNAME: username,
  KAFKA_SASL_PASSWORD: password,
});

const ndjson = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { topic: string; key: string; value: Record<string, unknown> });

/** doctor's broker clock line: its own connection logs in as thoth does and reads the coordinator's clock (the same machine's). */
async function brokerClockOk(thoth: ReturnType<typeof thothAt>): Promise<void> {
  const doctor = await thoth.run(['doctor', '-o', 'json']);
  const checks = (
    JSON.parse(doctor.stdout) as { checks: Array<{ name: string; status: string; detail: string; aheadMs?: number; boundMs?: number }> }
  ).checks;
  const clock = checks.find((c) => c.name === 'broker clock')!;
  expect(clock).toMatchObject({ status: 'ok' });
  expectBrokerClock(clock.detail);
  expect(Math.abs(clock.aheadMs!)).toBeLessThanOrEqual(clock.boundMs!);
  expect(`${doctor.stdout}${doctor.stderr}`).not.toContain(PASSWORD);
}

async function roundTrip(thoth: ReturnType<typeof thothAt>, pkg: string): Promise<void> {
  const published = await thoth.run(['publish', 'unresolved-package', pkg]);
  expect(published.stderr).not.toContain('error');
  expect(published.code).toBe(0);
  const tailed = await thoth.run(['tail', 'unresolved-package', '--exit-at-end', '-o', 'ndjson']);
  expect(tailed.code).toBe(0);
  const [name, version] = pkg.split('==');
  expect(ndjson(tailed.stdout).map((r) => [r.topic, r.key, r.value.package_name, r.value.package_version])).toEqual([
    [`${thoth.deployment}.thoth.investigator.unresolved-package`, pkg, name, version],
  ]);
}

describe.each(['SCRAM-SHA-256', 'SCRAM-SHA-512'])('thoth with KAFKA_SASL_MECHANISM=%s', (mechanism) => {
  it('logs in over SASL_PLAINTEXT, publishes and tails', async () => {
    const thoth = thothAt(own.broker.saslBootstrap, login(mechanism, PASSWORD));
    await roundTrip(thoth, 'requests==2.25.1');
    await brokerClockOk(thoth);
  });

  it('rejects a wrong password with exit 1 and never prints a password', async () => {
    const wrong = 'wrong-scram-Password-77';
    const thoth = thothAt(own.broker.saslBootstrap, login(mechanism, wrong));
    for (const args of [['topics'], ['-v', 'publish', 'unresolved-package', 'flask==2.0.1']]) {
      const result = await thoth.run(args);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(
        `error: Kafka at ${own.broker.saslBootstrap} rejected the SASL credentials of user "${USER}" (${mechanism.toLowerCase()})\nhint: check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM\n`,
      );
      expect(`${result.stdout}${result.stderr}`).not.toContain(wrong);
      expect(`${result.stdout}${result.stderr}`).not.toContain(PASSWORD);
    }
  });
});

describe('SCRAM edge cases', () => {
  it('rejects a user the broker does not know', async () => {
    const result = await thothAt(own.broker.saslBootstrap, login('SCRAM-SHA-256', PASSWORD, 'mallory')).run(['topics']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`rejected the SASL credentials of user "mallory" (scram-sha-256)`);
    expect(result.stderr).not.toContain(PASSWORD);
  });

  it('logs in with SCRAM-SHA-512 over TLS (SASL_SSL) and creates, publishes and tails', async () => {
    const thoth = thothAt(own.broker.saslSslBootstrap, {
      ...login('SCRAM-SHA-512', PASSWORD),
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SSL_CA_LOCATION: own.tls.ca,
    });
    const created = await thoth.run(['topics', 'create', '-o', 'json']);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`${thoth.deployment}.thoth.investigator.unresolved-package`);
    await roundTrip(thoth, 'numpy==1.21.0');
    await brokerClockOk(thoth);
  });
});
