/**
 * The few Kafka protocol messages thoth speaks itself, on a connection of its
 * own, because kafkajs does not (DescribeTransactions, Kafka 3.0+) or because
 * the doctor times one request exactly (AddOffsetsToTxn): their encodings as
 * the message definitions of Apache Kafka give them
 * (clients/src/main/resources/common/message/*.json), and nothing else.
 *
 * Each request is the body alone; `frame` puts the request header and the
 * size in front of it (header v1, or v2 with its empty tagged fields for a
 * flexible version). `parseFrame` takes an answer apart the other way round
 * (response header v0, or v1 for a flexible version).
 */

/** The API keys used here. */
export const API = {
  findCoordinator: 10,
  saslHandshake: 17,
  apiVersions: 18,
  initProducerId: 22,
  addOffsetsToTxn: 25,
  endTxn: 26,
  saslAuthenticate: 36,
  describeTransactions: 65,
} as const;

/** The version thoth speaks of each, and whether that version is flexible (KIP-482: compact strings, tagged fields). */
export const VERSION: Record<keyof typeof API, { version: number; flexible: boolean }> = {
  findCoordinator: { version: 1, flexible: false },
  saslHandshake: { version: 1, flexible: false },
  apiVersions: { version: 0, flexible: false },
  initProducerId: { version: 1, flexible: false },
  addOffsetsToTxn: { version: 1, flexible: false },
  endTxn: { version: 1, flexible: false },
  saslAuthenticate: { version: 1, flexible: false },
  describeTransactions: { version: 0, flexible: true },
};

/** Error codes this code acts on (org.apache.kafka.common.protocol.Errors). */
export const ERROR = {
  coordinatorLoadInProgress: 14,
  coordinatorNotAvailable: 15,
  notCoordinator: 16,
  groupAuthorizationFailed: 30,
  unsupportedSaslMechanism: 33,
  illegalSaslState: 34,
  unsupportedVersion: 35,
  concurrentTransactions: 51,
  transactionalIdAuthorizationFailed: 53,
  saslAuthenticationFailed: 58,
} as const;

const ERROR_NAMES: Record<number, string> = {
  14: 'COORDINATOR_LOAD_IN_PROGRESS',
  15: 'COORDINATOR_NOT_AVAILABLE',
  16: 'NOT_COORDINATOR',
  30: 'GROUP_AUTHORIZATION_FAILED',
  31: 'CLUSTER_AUTHORIZATION_FAILED',
  33: 'UNSUPPORTED_SASL_MECHANISM',
  34: 'ILLEGAL_SASL_STATE',
  35: 'UNSUPPORTED_VERSION',
  47: 'INVALID_PRODUCER_EPOCH',
  48: 'INVALID_TXN_STATE',
  49: 'INVALID_PRODUCER_ID_MAPPING',
  50: 'INVALID_TRANSACTION_TIMEOUT',
  51: 'CONCURRENT_TRANSACTIONS',
  53: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  58: 'SASL_AUTHENTICATION_FAILED',
  90: 'PRODUCER_FENCED',
};

/** "CONCURRENT_TRANSACTIONS (51)", or "error code 99" for a code not named here. */
export const errorName = (code: number): string => (ERROR_NAMES[code] ? `${ERROR_NAMES[code]} (${code})` : `error code ${code}`);

class Writer {
  private readonly parts: Buffer[] = [];
  constructor(private readonly flexible: boolean) {}
  private fixed(size: number, put: (b: Buffer) => void): this {
    const b = Buffer.alloc(size);
    put(b);
    this.parts.push(b);
    return this;
  }
  int8 = (v: number) => this.fixed(1, (b) => b.writeInt8(v));
  int16 = (v: number) => this.fixed(2, (b) => b.writeInt16BE(v));
  int32 = (v: number) => this.fixed(4, (b) => b.writeInt32BE(v));
  int64 = (v: bigint) => this.fixed(8, (b) => b.writeBigInt64BE(v));
  bool = (v: boolean) => this.int8(v ? 1 : 0);
  uvarint(v: number): this {
    const bytes: number[] = [];
    do {
      let byte = v & 0x7f;
      v >>>= 7;
      if (v !== 0) byte |= 0x80;
      bytes.push(byte);
    } while (v !== 0);
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  /** A string (null for a nullable one): int16 length, or in a flexible version unsigned varint length + 1 (0 for null). */
  string(v: string | null): this {
    if (v === null) return this.flexible ? this.uvarint(0) : this.int16(-1);
    const bytes = Buffer.from(v, 'utf8');
    if (this.flexible) this.uvarint(bytes.length + 1);
    else this.int16(bytes.length);
    this.parts.push(bytes);
    return this;
  }
  /** Bytes with an int32 length (non-flexible versions only here). */
  bytes(v: Buffer): this {
    this.int32(v.length);
    this.parts.push(v);
    return this;
  }
  array<T>(items: readonly T[], each: (item: T) => void): this {
    if (this.flexible) this.uvarint(items.length + 1);
    else this.int32(items.length);
    items.forEach(each);
    return this;
  }
  /** No tagged fields (flexible versions end each structure with them). */
  tags(): this {
    return this.flexible ? this.uvarint(0) : this;
  }
  done = (): Buffer => Buffer.concat(this.parts);
}

class Reader {
  private at = 0;
  constructor(
    private readonly buffer: Buffer,
    private readonly flexible: boolean,
    private readonly what: string,
  ) {}
  private need(n: number): number {
    if (this.at + n > this.buffer.length) throw new Error(`the ${this.what} answer is cut short`);
    const at = this.at;
    this.at += n;
    return at;
  }
  int8 = () => this.buffer.readInt8(this.need(1));
  int16 = () => this.buffer.readInt16BE(this.need(2));
  int32 = () => this.buffer.readInt32BE(this.need(4));
  int64 = () => this.buffer.readBigInt64BE(this.need(8));
  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.buffer.readUInt8(this.need(1));
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value >>> 0;
    }
    throw new Error(`the ${this.what} answer has a malformed varint`);
  }
  string(): string | null {
    const length = this.flexible ? this.uvarint() - 1 : this.int16();
    if (length < 0) return null;
    const at = this.need(length);
    return this.buffer.toString('utf8', at, at + length);
  }
  bytes(): Buffer | null {
    const length = this.int32();
    if (length < 0) return null;
    const at = this.need(length);
    return this.buffer.subarray(at, at + length);
  }
  array<T>(each: () => T): T[] {
    const count = this.flexible ? this.uvarint() - 1 : this.int32();
    if (count < 0) return [];
    if (count > this.buffer.length - this.at) throw new Error(`the ${this.what} answer is cut short`);
    return Array.from({ length: count }, each);
  }
  /** What is left to read. */
  rest = (): Buffer => this.buffer.subarray(this.at);
  /** Skips the tagged fields that end a structure in a flexible version. */
  tags(): void {
    if (!this.flexible) return;
    for (let n = this.uvarint(); n > 0; n--) {
      this.uvarint();
      this.need(this.uvarint());
    }
  }
}

/** Size, request header (v1; v2 for a flexible version) and body. */
export function frame(apiKey: number, version: number, flexible: boolean, correlationId: number, clientId: string, body: Buffer): Buffer {
  // The header's client id is a classic (int16-length) string in every header version.
  const header = new Writer(false).int16(apiKey).int16(version).int32(correlationId).string(clientId).done();
  const headerTags = flexible ? Buffer.from([0]) : Buffer.alloc(0);
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + headerTags.length + body.length);
  return Buffer.concat([size, header, headerTags, body]);
}

/** An answer without its size prefix: its correlation id and the body after the response header (v1 for a flexible version). */
export function parseFrame(response: Buffer, flexible: boolean): { correlationId: number; body: Buffer } {
  const reader = new Reader(response, flexible, 'broker');
  const correlationId = reader.int32();
  reader.tags();
  return { correlationId, body: reader.rest() };
}

// ---- requests (bodies) and their answers ----

export const findCoordinatorRequest = (key: string, keyType: number) => new Writer(false).string(key).int8(keyType).done();

export function parseFindCoordinator(body: Buffer): { error: number; message: string | null; nodeId: number; host: string; port: number } {
  const r = new Reader(body, false, 'FindCoordinator');
  r.int32(); // throttle time
  const error = r.int16();
  const message = r.string();
  const nodeId = r.int32();
  const host = r.string() ?? '';
  const port = r.int32();
  return { error, message, nodeId, host, port };
}

export const initProducerIdRequest = (transactionalId: string, transactionTimeoutMs: number) =>
  new Writer(false).string(transactionalId).int32(transactionTimeoutMs).done();

export function parseInitProducerId(body: Buffer): { error: number; producerId: bigint; epoch: number } {
  const r = new Reader(body, false, 'InitProducerId');
  r.int32();
  return { error: r.int16(), producerId: r.int64(), epoch: r.int16() };
}

export const addOffsetsToTxnRequest = (transactionalId: string, producerId: bigint, epoch: number, group: string) =>
  new Writer(false).string(transactionalId).int64(producerId).int16(epoch).string(group).done();

export const endTxnRequest = (transactionalId: string, producerId: bigint, epoch: number, committed: boolean) =>
  new Writer(false).string(transactionalId).int64(producerId).int16(epoch).bool(committed).done();

/** AddOffsetsToTxn and EndTxn (v0-v2) answer the same: throttle time and an error code. */
export function parseErrorOnly(body: Buffer, what: string): { error: number } {
  const r = new Reader(body, false, what);
  r.int32();
  return { error: r.int16() };
}

export const describeTransactionsRequest = (transactionalIds: readonly string[]) => {
  const w = new Writer(true);
  w.array(transactionalIds, (id) => w.string(id));
  return w.tags().done();
};

export interface TransactionDescription {
  error: number;
  transactionalId: string;
  state: string;
  timeoutMs: number;
  /** When the coordinator started the transaction, by its clock; -1 when none is ongoing. */
  startTimeMs: number;
  producerId: bigint;
  epoch: number;
  partitions: Array<{ topic: string; partitions: number[] }>;
}

export function parseDescribeTransactions(body: Buffer): TransactionDescription[] {
  const r = new Reader(body, true, 'DescribeTransactions');
  r.int32();
  const states = r.array(() => {
    const error = r.int16();
    const transactionalId = r.string() ?? '';
    const state = r.string() ?? '';
    const timeoutMs = r.int32();
    const startTimeMs = Number(r.int64());
    const producerId = r.int64();
    const epoch = r.int16();
    const partitions = r.array(() => {
      const topic = r.string() ?? '';
      const indexes = r.array(() => r.int32());
      r.tags();
      return { topic, partitions: indexes };
    });
    r.tags();
    return { error, transactionalId, state, timeoutMs, startTimeMs, producerId, epoch, partitions };
  });
  r.tags();
  return states;
}

export const saslHandshakeRequest = (mechanism: string) => new Writer(false).string(mechanism).done();

export function parseSaslHandshake(body: Buffer): { error: number; mechanisms: string[] } {
  const r = new Reader(body, false, 'SaslHandshake');
  const error = r.int16();
  return { error, mechanisms: r.array(() => r.string() ?? '') };
}

export const saslAuthenticateRequest = (token: Buffer) => new Writer(false).bytes(token).done();

export function parseSaslAuthenticate(body: Buffer): { error: number; message: string | null; token: Buffer } {
  const r = new Reader(body, false, 'SaslAuthenticate');
  const error = r.int16();
  const message = r.string();
  const token = r.bytes() ?? Buffer.alloc(0);
  return { error, message, token };
}

/** ApiVersions v0: API key -> [min, max] version the broker speaks. */
export function parseApiVersionRanges(body: Buffer): Map<number, [number, number]> {
  const r = new Reader(body, false, 'ApiVersions');
  const error = r.int16();
  if (error !== 0) throw new Error(`the broker answered ApiVersions with ${errorName(error)}`);
  return new Map(r.array(() => [r.int16(), [r.int16(), r.int16()] as [number, number]] as const));
}
