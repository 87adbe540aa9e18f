/**
 * Throwaway TLS material for tests against a real broker, made with the
 * `openssl` command in a temporary directory at test time (no key is ever
 * committed). A missing openssl throws: TLS tests fail, they never skip.
 *
 * Keys are PKCS#8 PEM (the only private-key form Kafka's PEM key store
 * reads); the broker key and the client key are encrypted, because Kafka's
 * file-based PEM key store requires ssl.key.password and because thoth's
 * KAFKA_SSL_KEY_PASSWORD needs an encrypted key to prove anything.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsFiles {
  dir: string;
  /** The CA that signed the broker and client certificates. */
  ca: string;
  /** A CA that signed nothing here: trusting it must fail the handshake. */
  otherCa: string;
  /** Broker certificate for 127.0.0.1 and localhost, and its key encrypted with brokerKeyPassword. */
  brokerCertificate: string;
  brokerKey: string;
  brokerKeyPassword: string;
  /** Client certificate and its key encrypted with clientKeyPassword (for brokers that require client certificates). */
  clientCertificate: string;
  clientKey: string;
  clientKeyPassword: string;
  /** An unencrypted key that belongs to no certificate above. */
  strayKey: string;
  remove(): void;
}

const CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[broker]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
`;

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error('TLS tests need the openssl command on PATH to make their certificates');
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString() ?? e.message}`);
  }
}

function newKey(cwd: string, file: string): void {
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', file], cwd);
}

/**
 * Encrypted PKCS#8. The client key uses today's default (PBES2: AES-256-CBC with PBKDF2), which Node reads;
 * the broker key uses PKCS#12's PBE-SHA1-3DES, because Java 17 (Kafka's PEM store) has no SecretKeyFactory
 * for PBES2 ("PBES2 SecretKeyFactory not available").
 */
function encryptKey(cwd: string, plain: string, encrypted: string, password: string, scheme: 'pbes2' | 'java17'): void {
  const cipher = scheme === 'pbes2' ? ['-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA256'] : ['-v1', 'PBE-SHA1-3DES'];
  openssl(['pkcs8', '-topk8', '-in', plain, '-out', encrypted, ...cipher, '-passout', `pass:${password}`], cwd);
}

function selfSignedCa(cwd: string, name: string): void {
  newKey(cwd, `${name}.key`);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=thoth test ${name}`,
      '-config',
      'openssl.cnf',
      '-extensions',
      'ca',
    ],
    cwd,
  );
}

function signed(cwd: string, name: string, subject: string, extensions: string): void {
  newKey(cwd, `${name}-plain.key`);
  openssl(['req', '-new', '-key', `${name}-plain.key`, '-out', `${name}.csr`, '-subj', subject, '-config', 'openssl.cnf'], cwd);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      '2',
      '-out',
      `${name}.pem`,
      '-extfile',
      'openssl.cnf',
      '-extensions',
      extensions,
    ],
    cwd,
  );
}

/** Makes a CA, a broker certificate for 127.0.0.1/localhost, a client certificate and an unrelated CA. */
export function makeTlsFiles(): TlsFiles {
  const dir = mkdtempSync(join(tmpdir(), 'thoth-tls-'));
  try {
    writeFileSync(join(dir, 'openssl.cnf'), CONFIG);
    selfSignedCa(dir, 'ca');
    selfSignedCa(dir, 'other-ca');
    const brokerKeyPassword = `broker-${randomBytes(6).toString('hex')}`;
    const clientKeyPassword = `client-${randomBytes(6).toString('hex')}`;
    signed(dir, 'broker', '/CN=localhost', 'broker');
    encryptKey(dir, 'broker-plain.key', 'broker.key', brokerKeyPassword, 'java17');
    signed(dir, 'client', '/CN=thoth-test-client', 'client');
    encryptKey(dir, 'client-plain.key', 'client.key', clientKeyPassword, 'pbes2');
    return {
      dir,
      ca: join(dir, 'ca.pem'),
      otherCa: join(dir, 'other-ca.pem'),
      brokerCertificate: join(dir, 'broker.pem'),
      brokerKey: join(dir, 'broker.key'),
      brokerKeyPassword,
      clientCertificate: join(dir, 'client.pem'),
      clientKey: join(dir, 'client.key'),
      clientKeyPassword,
      strayKey: join(dir, 'other-ca.key'),
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
