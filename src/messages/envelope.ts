/**
 * The one message envelope shared by publish, tail, replay and the investigator
 * (SPEC §7). Whatever `thoth tail -o ndjson` prints is one Envelope per line,
 * and `thoth replay` reads the same lines back.
 */
export interface Envelope {
  /** Base topic (`thoth.solver.solved-package`) or full topic (`dev.thoth.solver.solved-package`). */
  topic: string;
  key: string | null;
  headers: Record<string, string>;
  /** The message object; a string when the bytes on the wire were not a JSON document; null for an empty value. */
  value: unknown;
  /** Milliseconds since the epoch. */
  timestamp: number;
  partition?: number;
  offset?: number;
}
