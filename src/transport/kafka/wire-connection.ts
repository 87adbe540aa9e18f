/**
 * One plain or TLS connection of thoth's own to one Kafka broker, speaking the requests of wire.ts:
 * the doctor's broker clock (broker-clock.ts) and the broker's release (release.ts). It only frames
 * requests and matches answers to them; logging in (SASL) is the caller's, with the same requests.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { KafkaSettings } from '../../config/kafka.js';
import { API, VERSION, frame, parseFrame } from './wire.js';

export type ApiName = keyof typeof API;

/** "ApiVersions", "InitProducerId": an API's name as Kafka writes it. */
export const apiTitle = (api: ApiName): string => api.charAt(0).toUpperCase() + api.slice(1);

/** One plain or TLS connection to one broker, speaking the requests of wire.ts in order. */
export class WireConnection {
  private received = Buffer.alloc(0);
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { api: ApiName; flexible: boolean; resolve: (body: Buffer) => void; reject: (e: Error) => void }
  >();
  private closedBecause: Error | undefined;

  private constructor(
    readonly address: string,
    private readonly socket: Socket,
    private readonly clientId: string,
  ) {
    socket.on('data', (chunk: Buffer) => this.take(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () =>
      this.fail(
        new Error(`${address} closed the connection`),
        (api) => new Error(`${address} closed the connection before answering ${apiTitle(api)}`),
      ),
    );
  }

  static open(address: string, settings: KafkaSettings, timeoutMs: number): Promise<WireConnection> {
    const colon = address.lastIndexOf(':');
    const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    const port = Number(address.slice(colon + 1));
    const tls = settings.ssl;
    return new Promise((resolve, reject) => {
      const socket: Socket =
        tls === undefined
          ? connectTcp({ host, port })
          : connectTls({ host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host, ...(tls === true ? {} : tls) });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`${address} did not accept a connection within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new WireConnection(address, socket, settings.clientId));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      });
    });
  }

  /** Sends one request and resolves its answer's body; rejects after `timeoutMs` (the connection stays open). */
  request(api: ApiName, body: Buffer, timeoutMs: number): Promise<Buffer> {
    if (this.closedBecause) return Promise.reject(this.closedBecause);
    const { version, flexible } = VERSION[api];
    const id = this.nextId++;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.waiting.delete(id);
          reject(new Error(`${this.address} did not answer ${apiTitle(api)} within ${Math.max(0, Math.round(timeoutMs))} ms`));
        },
        Math.max(0, timeoutMs),
      );
      this.waiting.set(id, {
        api,
        flexible,
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.socket.write(frame(API[api], version, flexible, id, this.clientId, body));
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private take(chunk: Buffer): void {
    this.received = Buffer.concat([this.received, chunk]);
    while (this.received.length >= 4 && this.received.length >= 4 + this.received.readInt32BE(0)) {
      const size = this.received.readInt32BE(0);
      const answer = this.received.subarray(4, 4 + size);
      this.received = this.received.subarray(4 + size);
      const id = answer.readInt32BE(0);
      const waiter = this.waiting.get(id);
      // An answer nobody waits for any more (its request timed out) is dropped.
      if (!waiter) continue;
      this.waiting.delete(id);
      try {
        waiter.resolve(parseFrame(answer, waiter.flexible).body);
      } catch (error) {
        waiter.reject(error as Error);
      }
    }
  }

  /** Rejects what is waiting, with `pending`'s error for the request each waits on, and every later request with `error`. */
  private fail(error: Error, pending: (api: ApiName) => Error = () => error): void {
    this.closedBecause ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(pending(waiter.api));
    this.waiting.clear();
  }
}
