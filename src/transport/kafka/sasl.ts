/**
 * SASL logins for thoth's own Kafka connections (src/transport/kafka/broker-clock.ts):
 * PLAIN (RFC 4616) and SCRAM-SHA-256/512 (RFC 5802, 7677), the mechanisms
 * KAFKA_SASL_MECHANISM offers. Each is a list of client messages, each made
 * from the server's previous answer; the caller carries them in
 * SaslAuthenticate requests. The password never leaves this module but in
 * the PLAIN message and (hashed) in the SCRAM proof.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SaslMechanism } from '../../config/kafka.js';

/** One login: `first()` is the client's opening message; `next(answer)` the following one, or null when the login is done. */
export interface SaslLogin {
  readonly name: string;
  first(): Buffer;
  next(answer: Buffer): Buffer | null;
}

const MECHANISM_NAMES: Record<SaslMechanism, string> = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
};

export function saslLogin(
  sasl: { mechanism: SaslMechanism; username: string; password: string },
  nonce = randomBytes(18).toString('base64'),
): SaslLogin {
  if (sasl.mechanism === 'plain')
    return { name: 'PLAIN', first: () => Buffer.from(`\u0000${sasl.username}\u0000${sasl.password}`, 'utf8'), next: () => null };
  return scram(
    MECHANISM_NAMES[sasl.mechanism],
    sasl.mechanism === 'scram-sha-256' ? 'sha256' : 'sha512',
    sasl.username,
    sasl.password,
    nonce,
  );
}

/** RFC 5802 5.1: "=" and "," in a user name are written =3D and =2C. */
const saslName = (name: string) => name.replace(/=/g, '=3D').replace(/,/g, '=2C');

function attributes(message: string): Map<string, string> {
  return new Map(message.split(',').map((part) => [part.slice(0, 1), part.slice(2)] as const));
}

function scram(name: string, hash: 'sha256' | 'sha512', username: string, password: string, nonce: string): SaslLogin {
  const firstBare = `n=${saslName(username)},r=${nonce}`;
  let step = 0;
  let serverSignature: Buffer | undefined;
  const hmac = (key: Buffer, text: string) => createHmac(hash, key).update(text, 'utf8').digest();
  return {
    name,
    first: () => Buffer.from(`n,,${firstBare}`, 'utf8'),
    next(answer) {
      step += 1;
      const text = answer.toString('utf8');
      const fields = attributes(text);
      if (fields.has('e')) throw new Error(`the broker refused the ${name} login: ${fields.get('e')}`);
      if (step === 1) {
        const serverNonce = fields.get('r') ?? '';
        const salt = Buffer.from(fields.get('s') ?? '', 'base64');
        const iterations = Number(fields.get('i'));
        if (!serverNonce.startsWith(nonce) || salt.length === 0 || !Number.isInteger(iterations) || iterations < 1)
          throw new Error(`the broker's ${name} challenge is malformed`);
        const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, hash === 'sha256' ? 32 : 64, hash);
        const clientKey = hmac(salted, 'Client Key');
        const storedKey = createHash(hash).update(clientKey).digest();
        const withoutProof = `c=biws,r=${serverNonce}`;
        const authMessage = `${firstBare},${text},${withoutProof}`;
        const signature = hmac(storedKey, authMessage);
        const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]));
        serverSignature = hmac(hmac(salted, 'Server Key'), authMessage);
        return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
      }
      const verifier = Buffer.from(fields.get('v') ?? '', 'base64');
      if (serverSignature === undefined || verifier.length !== serverSignature.length || !timingSafeEqual(verifier, serverSignature))
        throw new Error(`the broker's ${name} signature does not match: it is not the broker that holds this user's credentials`);
      return null;
    },
  };
}
