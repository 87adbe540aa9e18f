/**
 * TLS (KAFKA_SECURITY_PROTOCOL=SSL) against a real broker: this file makes a
 * throwaway CA with openssl (test/support/tls.ts) and starts its own broker
 * (scripts/kafka.mjs) with two TLS listeners, one that only shows the broker's
 * certificate and one that also requires a client certificate. thoth runs as
 * a user runs it, configured by environment variables only.
 */
import { describe, expect, it } from 'vitest';
import { KAFKA_VERSION } from '../../scripts/kafka.mjs';
import { ownTlsBroker } from '../support/tls-broker.js';
import { expectBrokerClock } from '../support/clock.js';

interface TlsBroker {
  sslBootstrap: string;
  mtlsBootstrap: string;
}

const own = ownTlsBroker<TlsBroker>('tls');
const thothAt = own.thothAt;

const ndjson = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { topic: string; key: string; value: Record<string, unknown> });

describe('thoth over TLS (KAFKA_SECURITY_PROTOCOL=SSL)', () => {
  it('creates topics, publishes and tails with the CA from KAFKA_SSL_CA_LOCATION', async () => {
    const thoth = thothAt(own.broker.sslBootstrap, { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_LOCATION: own.tls.ca });
    const created = await thoth.run(['topics', 'create', '--partitions', '1', '-o', 'json']);
    expect(created.code).toBe(0);
    expect(created.stderr).toContain(`broker: Kafka at kafka://${own.broker.sslBootstrap}`);
    expect(created.stdout).toContain(`${thoth.deployment}.thoth.investigator.unresolved-package`);

    const published = await thoth.run(['publish', 'unresolved-package', 'requests==2.25.1']);
    expect(published.code).toBe(0);
    const tailed = await thoth.run(['tail', 'unresolved-package', '--exit-at-end', '-o', 'ndjson']);
    expect(tailed.code).toBe(0);
    expect(ndjson(tailed.stdout).map((r) => [r.topic, r.key, r.value.package_name, r.value.package_version])).toEqual([
      [`${thoth.deployment}.thoth.investigator.unresolved-package`, 'requests==2.25.1', 'requests', '2.25.1'],
    ]);
  });

  it('presents a client certificate whose key is decrypted with KAFKA_SSL_KEY_PASSWORD', async () => {
    const thoth = thothAt(own.broker.mtlsBootstrap, {
      KAFKA_SECURITY_PROTOCOL: 'SSL',
      KAFKA_SSL_CA_LOCATION: own.tls.ca,
      KAFKA_SSL_CERTIFICATE_LOCATION: own.tls.clientCertificate,
      KAFKA_SSL_KEY_LOCATION: own.tls.clientKey,
      KAFKA_SSL_KEY_PASSWORD: own.tls.clientKeyPassword,
    });
    expect((await thoth.run(['publish', 'solved-package', 'flask==2.0.1', '--solver', 'solver-rhel-8-py38'])).code).toBe(0);
    const tailed = await thoth.run(['tail', 'solved-package', '--exit-at-end', '-o', 'ndjson']);
    expect(tailed.code).toBe(0);
    expect(ndjson(tailed.stdout).map((r) => [r.key, r.value.package_name, r.value.solver])).toEqual([
      ['flask==2.0.1', 'flask', 'solver-rhel-8-py38'],
    ]);
    expect(`${tailed.stdout}${tailed.stderr}`).not.toContain(own.tls.clientKeyPassword);
    // The release is asked on a connection of doctor's own, with the same certificate.
    const doctor = await thoth.run(['doctor', '-o', 'json']);
    const checks = (JSON.parse(doctor.stdout) as { checks: Array<{ name: string; status: string; detail: string }> }).checks;
    expect(checks[0]).toMatchObject({ name: 'broker', status: 'ok' });
    expect(checks[0].detail).toContain(`reachable: Kafka ${KAFKA_VERSION.split('.').slice(0, 2).join('.')} cluster `);
    // So is the transaction coordinator's clock.
    const clock = checks.find((c) => c.name === 'broker clock');
    expect(clock).toMatchObject({ status: 'ok' });
    expectBrokerClock(clock!.detail);
  });
});

describe('TLS failures are user errors that name the broker', () => {
  it('a CA that did not sign the broker certificate', async () => {
    const thoth = thothAt(own.broker.sslBootstrap, { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_LOCATION: own.tls.otherCa });
    const result = await thoth.run(['topics']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`error: TLS with Kafka at ${own.broker.sslBootstrap} failed:`);
    expect(result.stderr).toMatch(/certificate/);
    expect(result.stderr).toContain('hint: check KAFKA_SECURITY_PROTOCOL and KAFKA_SSL_CA_LOCATION');
  });

  it('no client certificate where the broker requires one', async () => {
    const thoth = thothAt(own.broker.mtlsBootstrap, { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_LOCATION: own.tls.ca });
    const result = await thoth.run(['topics']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      `error: TLS with Kafka at ${own.broker.mtlsBootstrap} failed: the broker refused the client certificate`,
    );
    expect(result.stderr).not.toContain('../deps/openssl');
  });

  it('a plaintext client on a TLS listener is told about KAFKA_SECURITY_PROTOCOL', async () => {
    const thoth = thothAt(own.broker.sslBootstrap, {});
    const result = await thoth.run(['topics']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot reach Kafka at ${own.broker.sslBootstrap}`);
    expect(result.stderr).toContain('set KAFKA_SECURITY_PROTOCOL');
  });

  it('a wrong KAFKA_SSL_KEY_PASSWORD, without echoing it', async () => {
    const wrong = 'not-the-passphrase-4711';
    const thoth = thothAt(own.broker.mtlsBootstrap, {
      KAFKA_SECURITY_PROTOCOL: 'SSL',
      KAFKA_SSL_CA_LOCATION: own.tls.ca,
      KAFKA_SSL_CERTIFICATE_LOCATION: own.tls.clientCertificate,
      KAFKA_SSL_KEY_LOCATION: own.tls.clientKey,
      KAFKA_SSL_KEY_PASSWORD: wrong,
    });
    const result = await thoth.run(['topics']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: KAFKA_SSL_KEY_LOCATION ("${own.tls.clientKey}"): KAFKA_SSL_KEY_PASSWORD does not decrypt the private key\nhint: check KAFKA_SSL_KEY_PASSWORD\n`,
    );
    expect(`${result.stdout}${result.stderr}`).not.toContain(wrong);
  });

  it('an encrypted key without KAFKA_SSL_KEY_PASSWORD, and a key of another certificate', async () => {
    const base = {
      KAFKA_SECURITY_PROTOCOL: 'SSL',
      KAFKA_SSL_CA_LOCATION: own.tls.ca,
      KAFKA_SSL_CERTIFICATE_LOCATION: own.tls.clientCertificate,
    };
    const locked = await thothAt(own.broker.mtlsBootstrap, { ...base, KAFKA_SSL_KEY_LOCATION: own.tls.clientKey }).run(['topics']);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain(
      `error: KAFKA_SSL_KEY_LOCATION ("${own.tls.clientKey}") holds an encrypted private key\nhint: set KAFKA_SSL_KEY_PASSWORD`,
    );
    const stray = await thothAt(own.broker.mtlsBootstrap, { ...base, KAFKA_SSL_KEY_LOCATION: own.tls.strayKey }).run(['topics']);
    expect(stray.code).toBe(1);
    expect(stray.stderr).toContain(
      `error: KAFKA_SSL_KEY_LOCATION ("${own.tls.strayKey}") is not the key of the certificate in KAFKA_SSL_CERTIFICATE_LOCATION`,
    );
  });
});
