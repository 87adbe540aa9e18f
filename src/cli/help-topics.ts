/**
 * `thoth help <topic>`: help that belongs to no single command. `formats`
 * describes the records thoth reads and writes, so that a help text can say
 * "see thoth help formats" instead of citing a specification the user does
 * not have.
 */
export const HELP_TOPICS: Readonly<Record<string, { summary: string; text: string }>> = {
  formats: {
    summary: 'the recorded-stream line (tail -o ndjson, replay, investigate --from) and kcat -J lines',
    text: `Recorded streams: one JSON object per line (NDJSON). What \`thoth tail -o ndjson\` prints,
and what \`thoth replay\`, \`thoth investigate --from\` and \`thoth publish --file\` read:

  {"topic": "thoth.solver.solved-package", "key": "requests==2.25.1", "headers": {},
   "value": {"component_name": "solver", "service_version": "1.0.0", "version": "v1", ...},
   "timestamp": 1637935200000, "partition": 0, "offset": 0}

(one line in a file; wrapped here.)

  topic       the base name (thoth.solver.solved-package) or the full name with the
              deployment prefix (staging.thoth.solver.solved-package). Required.
  value       the message body: a JSON object as the producer wrote it (numbers, key order
              and escapes are kept byte for byte), or a JSON string holding a body that is not
              one line of strict JSON. null is a tombstone. Required.
  key         a string, or null for none. Optional (null).
  headers     {"name": "value", ...}, strings only. Optional ({}).
  timestamp   milliseconds since the epoch, or an ISO-8601 time (2021-11-26T14:00:00Z).
              Optional: a line without one is stamped with the time it is read. replay
              sends the current time unless --keep-timestamps.
  partition,  where the record was read; ignored by replay (the broker assigns them),
  offset      used by investigate --from to name a message's source. Optional.
  key_encoding, value_encoding
              "base64" when that key or value is not UTF-8 text and is written as base64.

kcat -J lines are read as well (what \`kcat -C -J\` prints):

  {"topic": "thoth.solver.solved-package", "partition": 0, "offset": 12, "tstype": "create",
   "ts": 1637935200000, "key": "requests==2.25.1", "payload": "{\\"component_name\\": ...}"}

  payload     the body as a string (sent byte for byte); ts the timestamp (optional, as above).

A line that is not valid JSON or lacks a required field is reported with its file and line
number; the other lines still run (replay --strict stops at the first). Blank lines are skipped.
An example of each: fixtures/streams/continuous-learning.ndjson, fixtures/kcat/kcat-dump.jsonl.

Message bodies: \`thoth schema TYPE\` prints the JSON Schema of each type's value, and
\`thoth schema --list\` lists the types.
`,
  },
};
