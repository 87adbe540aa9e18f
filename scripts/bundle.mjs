#!/usr/bin/env node
/**
 * The second step of `npm run build`: after tsc has written dist/ (dist/src/ stays, for the tests
 * and benches that import its modules), thoth is bundled again into dist/bin/, CommonJS:
 *
 * - dist/bin/thoth.js, the file `thoth` runs: `--version` and `--help` alone are answered from it
 *   (and thoth-help.txt); every other command line requires
 * - dist/bin/chunks/run.js: the rest of thoth, commander, chalk, the PEP 440 parser, jsonc-parser
 *   and better-sqlite3's JavaScript, in one file. What a command imports lazily (each subcommand,
 *   the store, the settings) is still run only when it is first imported.
 * - dist/bin/chunks/run-query.js: the same for `thoth query` alone (OWN_BUNDLE below), required
 *   instead of run.js when the command line names `query`.
 *
 * Why: start-up is spent loading and compiling modules (BENCHMARKS.md, Start-up). Node 20's ES
 * module loader reads each file through its thread pool: `thoth query stats` took 34 chunks and 16
 * files of better-sqlite3 that way, and those hand-offs cost more than the work. A CommonJS file is
 * read synchronously; one file is compiled in one go, and the code V8 compiled for it is cached
 * (requireBundled, src/cli/startup.ts).
 *
 * - dist/bin/chunks/kafka.js: kafkajs and kafkajs-snappy's JavaScript, required with its compiled
 *   code cached (requireBundled) the first time the Kafka transport loads, and never by commands
 *   that do not reach Kafka; some of kafkajs' flaws are mended in this copy, and its per-record
 *   decoding and encoding made lean (below). Each patch fails the build loudly when the kafkajs
 *   source it replaces is not found as expected (a new kafkajs).
 *
 * What stays in node_modules, loaded when (and only when) the code that needs it runs: the native
 * addons (lz4-napi and @mongodb-js/zstd among them), @kubernetes/client-node, ink and react, and
 * yaml. The ES-only ones (ink, the Kubernetes client) are imported with import(), never required.
 * node_modules is still needed at run time.
 *
 * Then dist/bin/thoth-help.txt: `thoth --help` as commander prints it to a pipe, which bin/thoth.ts
 * prints without loading commander where commander would print the same.
 *
 *   node scripts/bundle.mjs          (run by npm run build, after tsc)
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));

/** Pure JavaScript (better-sqlite3's addon apart), on the paths of the commands whose start-up counts, and imported statically only. */
const BUNDLED = ['@commander-js/extra-typings', 'commander', 'chalk', '@renovatebot/pep440', 'jsonc-parser', 'better-sqlite3'];
// bindings: better-sqlite3's lookup of its addon, required from its own folder when used (src/store/sqlite.ts).
const external = [...Object.keys(pkg.dependencies).filter((name) => !BUNDLED.includes(name)), 'bindings'];

const BIN = join(REPO, 'dist', 'bin');
// The top-level help as commander renders it (below): gone first, so that the new build renders it.
const HELP = join(BIN, 'thoth-help.txt');
rmSync(HELP, { force: true });

/**
 * commander requires node:child_process when it loads, for the executable subcommands thoth does
 * not have: Node then loads child_process, net and dgram on every start. It is required when
 * commander would spawn instead.
 */
const commanderSpawnsLazily = {
  name: 'commander-spawns-lazily',
  setup(on) {
    on.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, ({ path }) => {
      const eager = "const childProcess = require('node:child_process');";
      const source = readFileSync(path, 'utf8');
      if (!source.includes(eager)) throw new Error(`${path}: no \`${eager}\` to make lazy (a new commander?)`);
      const lazy = "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };";
      return { contents: source.replace(eager, lazy), loader: 'js' };
    });
  },
};
/**
 * chalk works out, when it loads, how many colours its default instances (`chalk`, `chalkStderr`)
 * may use: it asks node:tty, which loads Node's net and stream modules, on every command that
 * prints a table. thoth never uses those instances: every Chalk of thoth's is made with its level
 * (`new Chalk({ level })`; eslint refuses the others). In the bundle they have no colours, and
 * node:tty is not loaded. (ink, left in node_modules, loads chalk from there, as it is.)
 */
const chalkDetectsNothing = {
  name: 'chalk-detects-nothing',
  setup(on) {
    on.onLoad({ filter: /[\\/]chalk[\\/]source[\\/]vendor[\\/]supports-color[\\/]index\.js$/ }, ({ path }) => {
      const source = readFileSync(path, 'utf8');
      const eager =
        /\nconst supportsColor = \{\n\tstdout: createSupportsColor\(\{isTTY: tty\.isatty\(1\)\}\),\n\tstderr: createSupportsColor\(\{isTTY: tty\.isatty\(2\)\}\),\n\};\n/;
      const ttyImport = "import tty from 'node:tty';";
      if (!eager.test(source) || !source.includes(ttyImport)) throw new Error(`${path}: not the detection to leave out (a new chalk?)`);
      const contents = source
        .replace(ttyImport, "const tty = { isatty: (fd) => require('node:tty').isatty(fd) };")
        .replace(eager, '\nconst supportsColor = { stdout: false, stderr: false };\n');
      return { contents, loader: 'js' };
    });
  },
};
// Earlier builds' chunks (ES module chunks, named by a hash of their content, before) would pile up.
rmSync(join(BIN, 'chunks'), { recursive: true, force: true });
mkdirSync(BIN, { recursive: true });
// dist/bin is CommonJS whatever the package's type: its files are required, synchronously.
writeFileSync(join(BIN, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
const common = {
  absWorkingDir: REPO,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // ES module builds first: jsonc-parser's CommonJS build loads its parts by computed names.
  mainFields: ['module', 'main'],
  external,
  // The few modules that find files from where they are (package.json, the rendered help).
  define: { 'import.meta.url': '__thothModuleUrl' },
  banner: { js: "'use strict';\nconst __thothModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // Half the bytes to read and compile on every start; a stack trace maps back to src/ (and its names)
  // under node --enable-source-maps, as tsc's output does. Names are not kept: keepNames wraps every
  // named closure made at run time in a call that sets its name (3% of an investigator's CPU), and
  // nothing reads them (thoth's errors set their names explicitly, as kafkajs' do).
  minify: true,
  keepNames: false,
  sourcemap: true,
  legalComments: 'none',
  plugins: [commanderSpawnsLazily, chalkDetectsNothing],
  logLevel: 'warning',
};
// kafkajs (some 90 CommonJS files: resolving, reading and compiling them was a tenth of a `thoth tail`
// of 20,000 messages) and kafkajs-snappy's JavaScript, in a chunk of their own, required when the
// Kafka transport first loads and with its compiled code cached as run.js's is (requireBundled):
// commands that never reach Kafka do not read it. lz4-napi and @mongodb-js/zstd are native addons
// and stay in node_modules, loaded on the first batch of their codec (src/transport/kafka/codecs.ts).
// kafkajs' consumer Batch too: a read without a group (src/transport/kafka/assigned.ts) hands on what it leaves.
const KAFKA_BUNDLED = ['kafkajs', 'kafkajs-snappy', 'kafkajs/src/consumer/batch.js'];
/**
 * kafkajs 2.2.4, its last release, arms its request queue's check with `throttledUntil - Date.now()`
 * while throttledUntil is still -1: a negative delay, which Node takes as 1 ms and Node >= 23 also
 * reports as a TimeoutNegativeWarning. In the chunk the delay is never below zero (what Node does
 * with it anyway); dropKafkajsNegativeTimeoutWarning (src/cli/startup.ts) covers kafkajs loaded
 * from node_modules.
 */
const kafkajsTimerNotNegative = {
  name: 'kafkajs-timer-not-negative',
  setup(on) {
    on.onLoad({ filter: /[\\/]kafkajs[\\/]src[\\/]network[\\/]requestQueue[\\/]index\.js$/ }, ({ path }) => {
      const armed = '}, scheduleAt)';
      const source = readFileSync(path, 'utf8');
      if (source.split(armed).length !== 2) throw new Error(`${path}: not one \`${armed}\` to clamp (a new kafkajs?)`);
      return { contents: source.replace(armed, '}, Math.max(0, scheduleAt))'), loader: 'js' };
    });
  },
};
/**
 * kafkajs groups a batch's messages by partition copying each partition's list again for every
 * message (`[...current, message]`): quadratic, a sixth of `thoth replay`'s time with its batches of
 * 2,000. In the chunk they are appended, to the same lists in the same order.
 */
const kafkajsGroupsLinearly = {
  name: 'kafkajs-groups-linearly',
  setup(on) {
    on.onLoad({ filter: /[\\/]kafkajs[\\/]src[\\/]producer[\\/]groupMessagesPerPartition\.js$/ }, ({ path }) => {
      const quadratic = `    const current = result[partition] || []
    return Object.assign(result, { [partition]: [...current, message] })`;
      const source = readFileSync(path, 'utf8');
      if (!source.includes(quadratic)) throw new Error(`${path}: no quadratic grouping to replace (a new kafkajs?)`);
      const linear = `    ;(result[partition] || (result[partition] = [])).push(message)
    return result`;
      return { contents: source.replace(quadratic, linear), loader: 'js' };
    });
  },
};
/**
 * kafkajs hashes each record's key (murmur2, to choose its partition) with a 64-bit Long emulated in
 * JavaScript, allocating several objects per four bytes of key: a twentieth of the investigator's time
 * on Kafka, whose facts go to a topic of six partitions. Only the low 32 bits of each product and
 * xor reach the result, so in the chunk it is the same hash in 32-bit integer arithmetic
 * (Math.imul), giving the same partition for every key (test/transport/kafka-partitioner.test.ts).
 */
const kafkajsMurmur2In32Bits = {
  name: 'kafkajs-murmur2-in-32-bits',
  setup(on) {
    on.onLoad({ filter: /[\\/]kafkajs[\\/]src[\\/]producer[\\/]partitioners[\\/]default[\\/]murmur2\.js$/ }, ({ path }) => {
      const source = readFileSync(path, 'utf8');
      for (const line of ['const SEED = Long.fromValue(0x9747b28c)', 'const M = Long.fromValue(0x5bd1e995)', 'k = k.xor(k.toInt() >>> R)', 'h = h.xor(h.toInt() >>> 13)', 'h = h.xor(h.toInt() >>> 15)'])
        if (!source.includes(line)) throw new Error(`${path}: not the murmur2 this build rewrites (no \`${line}\`; a new kafkajs?)`);
      const contents = `module.exports = key => {
  const data = Buffer.isBuffer(key) ? key : Buffer.from(String(key))
  const length = data.length
  const m = 0x5bd1e995
  let h = 0x9747b28c ^ length
  const whole = length & ~3
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
    k = Math.imul(k, m)
    k ^= k >>> 24
    k = Math.imul(k, m)
    h = Math.imul(h, m) ^ k
  }
  switch (length & 3) {
    case 3:
      h ^= data[whole + 2] << 16
    case 2:
      h ^= data[whole + 1] << 8
    case 1:
      h ^= data[whole]
      h = Math.imul(h, m)
  }
  h ^= h >>> 13
  h = Math.imul(h, m)
  h ^= h >>> 15
  return h | 0
}
`;
      return { contents, loader: 'js' };
    });
  },
};
/**
 * kafkajs reads each consumed record's offset and timestamp with 64-bit BigInt arithmetic, parsing
 * the batch's base offset and timestamp from text again for every record, and filters a batch by
 * offset the same way. In the chunk, values that are safe integers (every offset and millisecond
 * timestamp there is) are added and compared as numbers, giving the same text; anything else goes
 * the BigInt way as before.
 */
const kafkajsOffsetsAsNumbers = {
  name: 'kafkajs-offsets-as-numbers',
  setup(on) {
    const patch = (path, pairs) => {
      let source = readFileSync(path, 'utf8');
      for (const [from, to] of pairs) {
        if (source.split(from).length !== 2) throw new Error(`${path}: not one \`${from}\` to replace (a new kafkajs?)`);
        source = source.replace(from, to);
      }
      return { contents: source, loader: 'js' };
    };
    const sum = `const safeSum = (text, delta) => {
  const base = Number(text)
  const small = typeof delta === 'number' ? delta : Long.isLong(delta) && delta.value >= -9007199254740991n && delta.value <= 9007199254740991n ? Number(delta.value) : NaN
  const total = base + small
  return Number.isSafeInteger(base) && Number.isSafeInteger(small) && Number.isSafeInteger(total) ? String(total) : Long.fromValue(text).add(delta).toString()
}
module.exports =`;
    on.onLoad({ filter: /[\\/]kafkajs[\\/]src[\\/]protocol[\\/]recordBatch[\\/]record[\\/]v0[\\/]decoder\.js$/ }, ({ path }) =>
      patch(path, [
        ['module.exports =', sum],
        [
          `Long.fromValue(firstTimestamp)
          .add(timestampDelta)
          .toString()`,
          'safeSum(firstTimestamp, timestampDelta)',
        ],
        [
          `Long.fromValue(firstOffset)
    .add(offsetDelta)
    .toString()`,
          'safeSum(firstOffset, offsetDelta)',
        ],
      ]),
    );
    on.onLoad({ filter: /[\\/]kafkajs[\\/]src[\\/]consumer[\\/]batch\.js$/ }, ({ path }) =>
      patch(path, [
        [
          `this.messagesWithinOffset = this.rawMessages.filter(message =>
      Long.fromValue(message.offset).gte(longFetchedOffset)
    )`,
          `const fetchedNumber = Number(this.fetchedOffset)
    this.messagesWithinOffset = this.rawMessages.filter(message => {
      const offset = Number(message.offset)
      return Number.isSafeInteger(offset) && Number.isSafeInteger(fetchedNumber)
        ? offset >= fetchedNumber
        : Long.fromValue(message.offset).gte(longFetchedOffset)
    })`,
        ],
      ]),
    );
  },
};
/**
 * kafkajs reads every consumed record through a Decoder object of its own over a Buffer slice of the
 * record, its 64-bit varint with BigInt arithmetic, and its headers by spreading an object again for
 * each: a tenth of `thoth tail`'s time, and as much again in garbage. In the chunk a record batch's
 * records are read in one pass over the batch's buffer: varints in place, the key and value as
 * subarrays (what the slices were), offsets and timestamps added as numbers where they are safe
 * integers (as kafkajsOffsetsAsNumbers), headers read only where a record has some. Anything out of
 * the ordinary (a record running past its batch, a varlong of more than 49 bits, a total that is not
 * a safe integer) goes kafkajs' own way, so the records are the same objects with the same values.
 */
const kafkajsLeanRecords = {
  name: 'kafkajs-lean-records',
  setup(on) {
    on.onLoad({ filter: /[\\/]kafkajs[\\/]src[\\/]protocol[\\/]recordBatch[\\/]v0[\\/]decoder\.js$/ }, ({ path }) => {
      const perRecord = `const decodeRecord = (decoder, recordContext) => {
  const recordBuffer = decoder.readVarIntBytes()
  return RecordDecoder(new Decoder(recordBuffer), recordContext)
}`;
      const source = readFileSync(path, 'utf8');
      if (source.split(perRecord).length !== 2) throw new Error(`${path}: not one per-record decoder to replace (a new kafkajs?)`);
      const lean = `const Long = require('../../../utils/long')
// A varint as kafkajs' Decoder.readVarInt reads it, from buffer at at; sets varintEnd.
let varintEnd = 0
const varintAt = (buffer, at) => {
  let byte
  let result = 0
  let shift = 0
  do {
    byte = buffer[at++]
    result += (byte & 0x7f) << shift
    shift += 7
  } while (byte >= 0x80)
  varintEnd = at
  return (result >>> 1) ^ -(result & 1)
}
// A record's headers as kafkajs' record decoder reads them.
const leanHeaders = (buffer, at, end) => {
  const decoder = new Decoder(buffer.subarray(at, end))
  return decoder.readVarIntArray(HeaderDecoder).reduce(
    (obj, { key, value }) => ({
      ...obj,
      [key]:
        obj[key] === undefined
          ? value
          : Array.isArray(obj[key])
          ? obj[key].concat([value])
          : [obj[key], value],
    }),
    {}
  )
}
const HeaderDecoder = require('../header/v0/decoder')
const leanSum = (base, baseText, delta) => {
  const total = base + delta
  return Number.isSafeInteger(base) && Number.isSafeInteger(total) ? String(total) : Long.fromValue(baseText).add(delta).toString()
}
const leanRecord = (buffer, at, end, context, numbers) => {
  const attributes = buffer.readInt8(at++)
  // The timestamp's delta, a zigzag varlong: in a number up to 7 bytes (49 bits), else kafkajs' way.
  let byte
  let raw = 0
  let scale = 1
  let bytes = 0
  do {
    byte = buffer[at++]
    raw += (byte & 0x7f) * scale
    scale *= 128
    bytes++
  } while (byte >= 0x80 && bytes < 7)
  if (byte >= 0x80 || at > end) return undefined
  const timestampDelta = raw % 2 === 1 ? -(raw + 1) / 2 : raw / 2
  const timestamp =
    context.timestampType === TimestampTypes.LOG_APPEND_TIME && context.maxTimestamp
      ? context.maxTimestamp
      : leanSum(numbers.timestamp, context.firstTimestamp, timestampDelta)
  const offsetDelta = varintAt(buffer, at)
  at = varintEnd
  const offset = leanSum(numbers.offset, context.firstOffset, offsetDelta)
  const keyLength = varintAt(buffer, at)
  at = varintEnd
  const key = keyLength === -1 ? null : buffer.subarray(at, (at += keyLength))
  const valueLength = varintAt(buffer, at)
  at = varintEnd
  const value = valueLength === -1 ? null : buffer.subarray(at, (at += valueLength))
  if (at >= end || (key !== null && key.length !== keyLength) || (value !== null && value.length !== valueLength)) return undefined
  // No headers is one byte, 0; the rest is read as kafkajs reads it.
  const headers = buffer[at] === 0 ? {} : leanHeaders(buffer, at, end)
  return {
    magicByte: context.magicByte,
    attributes,
    timestamp,
    offset,
    key,
    value,
    headers,
    isControlRecord: context.isControlBatch === undefined ? false : context.isControlBatch,
    batchContext: context,
  }
}
// The batch's first offset and timestamp as numbers, worked out once a batch.
let numbersOf
let numbers
const decodeRecord = (decoder, recordContext) => {
  if (numbersOf !== recordContext) {
    numbersOf = recordContext
    numbers = { offset: Number(recordContext.firstOffset), timestamp: Number(recordContext.firstTimestamp) }
  }
  const buffer = decoder.buffer
  const start = decoder.offset
  const length = varintAt(buffer, start)
  const at = varintEnd
  if (length >= 1 && at + length <= buffer.length) {
    const record = leanRecord(buffer, at, at + length, recordContext, numbers)
    if (record !== undefined) {
      decoder.offset = at + length
      return record
    }
  }
  // kafkajs' own way, from the record's start.
  decoder.offset = start
  const recordBuffer = decoder.readVarIntBytes()
  return RecordDecoder(new Decoder(recordBuffer), recordContext)
}`;
      return { contents: source.replace(perRecord, lean), loader: 'js' };
    });
  },
};
/**
 * kafkajs asks, around every record of a batch (eachBatch's isStale), whether a seek is pending for
 * the partition, naming it by JSON.stringify([topic, partition]) each time; in the chunk an empty
 * set of pending seeks answers no at once.
 */
const kafkajsSeeksCheckedCheaply = {
  name: 'kafkajs-seeks-checked-cheaply',
  setup(on) {
    on.onLoad({ filter: /[\\/]kafkajs[\\/]src[\\/]consumer[\\/]seekOffsets\.js$/ }, ({ path }) => {
      const has = `  has(topic, partition) {
    const key`;
      const source = readFileSync(path, 'utf8');
      if (source.split(has).length !== 2) throw new Error(`${path}: not one \`has\` to shorten (a new kafkajs?)`);
      return {
        contents: source.replace(has, `  has(topic, partition) {\n    if (this.size === 0) return false\n    const key`),
        loader: 'js',
      };
    });
  },
};
/**
 * kafkajs writes each produced record through an Encoder of its own (a zero-filled Buffer, grown by
 * doubling), every varint through a fresh Buffer, the 64-bit timestamp delta with BigInt arithmetic,
 * and copies the record into the batch afterwards; it finds a batch's first and last timestamps by
 * sorting them as text. In the chunk a partition's records are written into one Buffer sized for
 * them, in one pass, the same bytes (varints in their one canonical form); the timestamps are the
 * same first and last ones (compared as the sort compares them, as text), found in one pass; the
 * batch's CRC-32C is table-driven eight bytes at a time. A record with headers, a key or value
 * that is neither text nor bytes, or a timestamp delta beyond 2^47 ms, is written by kafkajs'
 * Record as before, into the same Buffer.
 */
const kafkajsLeanProduce = {
  name: 'kafkajs-lean-produce',
  setup(on) {
    const patch = (path, pairs) => {
      let source = readFileSync(path, 'utf8');
      for (const [from, to] of pairs) {
        if (source.split(from).length !== 2) throw new Error(`${path}: not one \`${from.split('\n')[0]}\` to replace (a new kafkajs?)`);
        source = source.replace(from, to);
      }
      return { contents: source, loader: 'js' };
    };
    on.onLoad({ filter: /[\\/]kafkajs[\\/]src[\\/]protocol[\\/]requests[\\/]produce[\\/]v3[\\/]request\.js$/ }, ({ path }) =>
      patch(path, [
        [
          `  const messageTimestamps = messages
    .map(m => m.timestamp)
    .filter(timestamp => timestamp != null)
    .sort()

  const timestamps = messageTimestamps.length === 0 ? [dateNow] : messageTimestamps
  const firstTimestamp = timestamps[0]
  const maxTimestamp = timestamps[timestamps.length - 1]

  const records = messages.map((message, i) =>
    Record({
      ...message,
      offsetDelta: i,
      timestampDelta: (message.timestamp || dateNow) - firstTimestamp,
    })
  )
`,
          `  // The first and the last of the timestamps as .sort() orders them (as text, stable), in one pass.
  let firstTimestamp
  let maxTimestamp
  let firstText
  let maxText
  for (const { timestamp } of messages) {
    if (timestamp == null) continue
    const text = String(timestamp)
    if (firstTimestamp === undefined || text < firstText) [firstTimestamp, firstText] = [timestamp, text]
    if (maxTimestamp === undefined || text >= maxText) [maxTimestamp, maxText] = [timestamp, text]
  }
  if (firstTimestamp === undefined) firstTimestamp = maxTimestamp = dateNow

  const records = [leanRecords(messages, dateNow, firstTimestamp)]
`,
        ],
        [
          `    records,
    firstTimestamp,`,
          `    records,
    recordCount: messages.length,
    firstTimestamp,`,
        ],
        ['    lastOffsetDelta: records.length - 1,', '    lastOffsetDelta: messages.length - 1,'],
        [
          'const partitionsEncoder = compression =>',
          `// The length of a zigzag varint of value (a safe integer), and writing it at at; returns the next offset.
const zigzag = value => (value >= 0 ? value * 2 : -value * 2 - 1)
const sizeOfUVar = value => {
  let bytes = 1
  while (value >= 128) {
    value = Math.floor(value / 128)
    bytes++
  }
  return bytes
}
const writeUVar = (buffer, at, value) => {
  while (value >= 128) {
    buffer[at++] = (value % 128) | 0x80
    value = Math.floor(value / 128)
  }
  buffer[at++] = value
  return at
}
const bytesOf = value => (value == null ? -1 : Buffer.isBuffer(value) ? value.length : typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : undefined)
const writeBytes = (buffer, at, value, length) => {
  at = writeUVar(buffer, at, zigzag(length))
  if (length <= 0) return at
  if (Buffer.isBuffer(value)) value.copy(buffer, at)
  else buffer.write(value, at, length, 'utf8')
  return at + length
}
const hasHeaders = headers => {
  if (headers == null) return false
  for (const _ in headers) return true
  return false
}
// A partition's records, one after another, in one Encoder: what Record wrote for each, in order.
const leanRecords = (messages, dateNow, firstTimestamp) => {
  const count = messages.length
  const plans = new Array(count)
  let total = 0
  for (let i = 0; i < count; i++) {
    const message = messages[i]
    const timestampDelta = (message.timestamp || dateNow) - firstTimestamp
    const keyLength = bytesOf(message.key)
    const valueLength = bytesOf(message.value)
    if (
      hasHeaders(message.headers) ||
      keyLength === undefined ||
      valueLength === undefined ||
      !Number.isSafeInteger(timestampDelta) ||
      Math.abs(timestampDelta) >= 2 ** 47
    ) {
      const encoder = Record({ ...message, offsetDelta: i, timestampDelta })
      plans[i] = encoder
      total += encoder.offset
      continue
    }
    const body =
      1 +
      sizeOfUVar(zigzag(timestampDelta)) +
      sizeOfUVar(zigzag(i)) +
      sizeOfUVar(zigzag(keyLength)) + Math.max(keyLength, 0) +
      sizeOfUVar(zigzag(valueLength)) + Math.max(valueLength, 0) +
      1
    plans[i] = { body, timestampDelta, keyLength, valueLength }
    total += sizeOfUVar(zigzag(body)) + body
  }
  const buffer = Buffer.allocUnsafe(total)
  let at = 0
  for (let i = 0; i < count; i++) {
    const plan = plans[i]
    if (plan instanceof Encoder) {
      plan.buf.copy(buffer, at, 0, plan.offset)
      at += plan.offset
      continue
    }
    const message = messages[i]
    at = writeUVar(buffer, at, zigzag(plan.body))
    buffer[at++] = 0 // no record attributes
    at = writeUVar(buffer, at, zigzag(plan.timestampDelta))
    at = writeUVar(buffer, at, zigzag(i))
    at = writeBytes(buffer, at, message.key, plan.keyLength)
    at = writeBytes(buffer, at, message.value, plan.valueLength)
    buffer[at++] = 0 // no headers
  }
  if (at !== total) throw new Error(\`lean record encoder: wrote \${at} bytes of \${total}\`)
  const encoder = new Encoder(0)
  encoder.buf = buffer
  encoder.offset = total
  return encoder
}

const partitionsEncoder = compression =>`,
        ],
      ]),
    );
    on.onLoad({ filter: /[\\/]kafkajs[\\/]src[\\/]protocol[\\/]recordBatch[\\/]v0[\\/]index\.js$/ }, ({ path }) =>
      patch(path, [
        [
          `  records = [],
}) => {`,
          `  records = [],
  recordCount,
}) => {`,
        ],
        [
          `  if (compression === Compression.None) {
    if (records.every(`,
          `  if (recordCount !== undefined) {
    // Records already written one after another (the produce request's leanRecords).
    batchBody.writeInt32(recordCount)
    if (compression === Compression.None) batchBody.writeEncoderArray(records)
    else batchBody.writeBuffer(await compressRecords(compression, records))
  } else if (compression === Compression.None) {
    if (records.every(`,
        ],
      ]),
    );
    on.onLoad({ filter: /[\\/]kafkajs[\\/]src[\\/]protocol[\\/]recordBatch[\\/]crc32C[\\/]crc32C\.js$/ }, ({ path }) =>
      patch(path, [
        [
          `const crc32C = buffer => {
  let crc = 0 ^ -1
  for (let i = 0; i < buffer.length; i++) {`,
          `// Slicing by eight: T8[k][b] is the CRC of byte b followed by k zero bytes (built from T below).
let T8
const tables = () => {
  T8 = [T]
  for (let k = 1; k < 8; k++) {
    const table = new Int32Array(256)
    for (let b = 0; b < 256; b++) table[b] = T[T8[k - 1][b] & 0xff] ^ (T8[k - 1][b] >>> 8)
    T8.push(table)
  }
  return T8
}
const crc32C = buffer => {
  let crc = 0 ^ -1
  const [t0, t1, t2, t3, t4, t5, t6, t7] = T8 || tables()
  const whole = buffer.length - (buffer.length % 8)
  let i = 0
  for (; i < whole; i += 8) {
    const low = crc ^ (buffer[i] | (buffer[i + 1] << 8) | (buffer[i + 2] << 16) | (buffer[i + 3] << 24))
    crc =
      t7[low & 0xff] ^ t6[(low >>> 8) & 0xff] ^ t5[(low >>> 16) & 0xff] ^ t4[low >>> 24] ^
      t3[buffer[i + 4]] ^ t2[buffer[i + 5]] ^ t1[buffer[i + 6]] ^ t0[buffer[i + 7]]
  }
  for (; i < buffer.length; i++) {`,
        ],
      ]),
    );
  },
};
const KAFKA = join(BIN, 'chunks', 'kafka.js');
await build({
  ...common,
  // Nothing here reads import.meta.url, and kafkajs' own names matter only as its errors carry them.
  define: {},
  banner: { js: "'use strict';" },
  external: external.filter((name) => !KAFKA_BUNDLED.includes(name)),
  stdin: {
    contents: KAFKA_BUNDLED.map((name) => `exports[${JSON.stringify(name)}] = require(${JSON.stringify(name)});`).join('\n'),
    resolveDir: REPO,
    sourcefile: 'kafka-chunk.js',
  },
  outfile: KAFKA,
  plugins: [
    kafkajsTimerNotNegative,
    kafkajsGroupsLinearly,
    kafkajsMurmur2In32Bits,
    kafkajsOffsetsAsNumbers,
    kafkajsLeanRecords,
    kafkajsSeeksCheckedCheaply,
    kafkajsLeanProduce,
  ],
});
const kafkaKey = createHash('sha256').update(readFileSync(KAFKA)).digest('hex').slice(0, 16);
/** In run.js, kafkajs and kafkajs-snappy are the kafka chunk's, required (once) when first needed. */
const kafkaChunk = {
  name: 'kafka-chunk',
  setup(on) {
    on.onResolve({ filter: new RegExp(`^(${KAFKA_BUNDLED.join('|')})$`) }, ({ path }) => ({ path, namespace: 'kafka-chunk' }));
    on.onLoad({ filter: /.*/, namespace: 'kafka-chunk' }, ({ path }) => ({
      contents: `const { requireBundled } = require(${JSON.stringify(join(REPO, 'src', 'cli', 'startup.ts'))});
module.exports = requireBundled(require('node:path').join(__dirname, 'kafka.js'), ${JSON.stringify(kafkaKey)}, process.env)[${JSON.stringify(path)}];`,
      loader: 'js',
      resolveDir: REPO,
    }));
  },
};

// Everything but the entry, in one file: what a command imports lazily (each subcommand, the store,
// the settings) is still evaluated only when it is first imported, but read and compiled with the
// rest. Its import() of the ES modules of node_modules (ink, the Kubernetes client, ...) goes
// through `importModule` where the entry gives it one (src/cli/startup.ts, requireBundled: code it
// compiles cannot import() itself), else through import(): `import(` becomes `__tImp(`, of the same
// length, so that the source map still holds. kafkajs and kafkajs-snappy come from the kafka chunk.
// Returns what names the bundle's content in the name of its cached code (requireBundled).
async function bundleRun(name, plugins = []) {
  const file = join(BIN, 'chunks', `${name}.js`);
  await build({
    ...common,
    entryPoints: { [name]: 'src/cli/run.ts' },
    outdir: 'dist/bin/chunks',
    external: external.filter((dependency) => !KAFKA_BUNDLED.includes(dependency)),
    plugins: [...common.plugins, kafkaChunk, ...plugins],
    banner: {
      js: `${common.banner.js}\nconst __tImp = typeof importModule === 'function' ? importModule : (specifier) => import(specifier);`,
    },
  });
  const bundled = readFileSync(file, 'utf8');
  const banner = bundled.indexOf('const __tImp');
  const body = bundled.indexOf('\n', banner) + 1;
  const rewritten = bundled
    .slice(body)
    .replace(/\bimport\(("[^"]+")\)/g, (_, specifier) => {
      if (!external.includes(JSON.parse(specifier).replace(/^(@[^/]+\/[^/]+|[^@/][^/]*).*$/, '$1'))) {
        throw new Error(`bundle: chunks/${name}.js imports ${specifier}, which is not a package left in node_modules`);
      }
      return `__tImp(${specifier})`;
    })
    // requireBundled's own import(specifier), bundled in for the kafka chunk, goes through the entry's too.
    .replace(/\bimport\((\w+)\)/g, (_, variable) => `__tImp(${variable})`);
  if (/\bimport\(/.test(rewritten)) throw new Error(`bundle: chunks/${name}.js has an import() that is not of a package name`);
  writeFileSync(file, bundled.slice(0, body) + rewritten);
  return createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);
}

/**
 * Commands with a bundle of their own, and the modules of thoth's that their code imports lazily:
 * chunks/run.js holds every command (and kafkajs' adapter, the Kubernetes client's, ...), more than
 * half of it code `thoth query` never runs but would read and take from the cache of compiled code
 * on every start (BENCHMARKS.md, Start-up). Every other import() of src/ (another command, the
 * broker, the cluster) is, in such a bundle, a module that fails at once: none of the command's
 * code reaches one (test/cli/bundles.test.ts runs each of its subcommands from the bundle).
 */
const OWN_BUNDLE = {
  query: ['../commands/query.js', '../config/settings.js', '../store/index.js'],
};
const onlyWhatItImports = (command, kept) => ({
  name: 'only-what-it-imports',
  setup(on) {
    on.onResolve({ filter: /^\./ }, ({ kind, path }) =>
      kind === 'dynamic-import' && !kept.includes(path) ? { path, namespace: 'left-out' } : undefined,
    );
    on.onLoad({ filter: /.*/, namespace: 'left-out' }, ({ path }) => ({
      contents: `throw new Error(${JSON.stringify(`thoth: ${path} is not in the bundle of \`thoth ${command}\` (scripts/bundle.mjs, OWN_BUNDLE)`)});`,
      loader: 'js',
    }));
  },
});
const bundles = { '': { file: 'run.js', key: await bundleRun('run') } };
for (const [command, kept] of Object.entries(OWN_BUNDLE)) {
  bundles[command] = { file: `run-${command}.js`, key: await bundleRun(`run-${command}`, [onlyWhatItImports(command, kept)]) };
}

// The entry: --version and --help alone, else the rest: the bundle of the command the command line
// names (src/cli/command-line.ts, as the dispatch core reads it), else chunks/run.js, required by
// requireBundled.
const STARTUP = join(REPO, 'src', 'cli', 'startup.ts');
const COMMAND_LINE = join(REPO, 'src', 'cli', 'command-line.ts');
await build({
  ...common,
  entryPoints: { thoth: 'bin/thoth.ts' },
  outdir: 'dist/bin',
  plugins: [
    ...common.plugins,
    {
      name: 'run-chunk',
      setup(on) {
        on.onResolve({ filter: /\/cli\/run\.js$/ }, () => ({ path: 'run-chunk', namespace: 'run-chunk' }));
        on.onLoad({ filter: /.*/, namespace: 'run-chunk' }, () => ({
          contents: `const { requireBundled } = require(${JSON.stringify(STARTUP)});
const { invokedCommandName } = require(${JSON.stringify(COMMAND_LINE)});
const bundles = ${JSON.stringify(bundles)};
const named = invokedCommandName(process.argv.slice(2));
const { file, key } = bundles[named !== '' && Object.hasOwn(bundles, named) ? named : ''];
module.exports = requireBundled(require('node:path').join(__dirname, 'chunks', file), key, process.env);`,
          loader: 'js',
          resolveDir: REPO,
        }));
      },
    },
  ],
});
chmodSync(join(BIN, 'thoth.js'), 0o755);

// `thoth --help` renders the same text every time for a given width: the build renders it once, as
// commander prints it to a pipe (80 columns), and bin/thoth.ts prints this file where commander
// would print the same (src/cli/startup.ts, prerenderedHelp), without loading commander.
const rendered = spawnSync(process.execPath, [join(BIN, 'thoth.js'), '--help'], {
  encoding: 'utf8',
  env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' },
});
if (rendered.status !== 0 || rendered.stderr !== '' || !rendered.stdout.startsWith('Usage: thoth')) {
  process.stderr.write(`bundle: thoth --help failed (exit ${rendered.status}):\n${rendered.stderr}`);
  process.exit(1);
}
writeFileSync(HELP, rendered.stdout);
