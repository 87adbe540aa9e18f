/**
 * The one message envelope shared by publish, tail, replay and the investigator
 * (SPEC §7). Whatever `thoth tail -o ndjson` prints is one Envelope per line,
 * and `thoth replay` reads the same lines back.
 */
import type { RawBytes } from './broker-records.js';
import type { JsonValue } from './json-text.js';

export interface Envelope {
  /** Base topic (`thoth.solver.solved-package`) or full topic (`dev.thoth.solver.solved-package`). */
  topic: string;
  key: string | null;
  headers: Record<string, string>;
  /** The message object; a string when the bytes on the wire were not a JSON document; null for an empty value. */
  value: unknown;
  /** Milliseconds since the epoch. */
  timestamp: number;
  /**
   * The value exactly as on the wire, when known (a consumed record's text, a recorded line's
   * value as written): what `tail -o ndjson` writes and `replay` sends, byte for byte.
   */
  body?: string | null;
  /** The body parsed without loss (json-text.ts), when it was parsed already. */
  tree?: JsonValue;
  /** Key and value bytes that are not UTF-8 text; `key` and `body` then hold a lossy decoding of them. */
  raw?: RawBytes;
  partition?: number;
  offset?: number;
}
