/**
 * Property-based fuzzing of what a user or a producer can hand thoth: random
 * and hostile bodies, headers, keys, NDJSON and kcat lines, package specs,
 * kubeconfigs and command-line arguments through publish, replay, tail,
 * investigate --from, query and submit. For every input:
 *
 * - the exit code is 0, 1 or 2;
 * - stderr holds at most one `error:` line, no stack trace, no "This is a bug",
 *   and no raw control character (everything a person reads is escaped);
 * - nothing is half-written: a publish --file that fails sends no line.
 *
 * Bounded: a fixed number of runs per property (THOTH_FUZZ_RUNS, default 20)
 * from a fixed seed (THOTH_FUZZ_SEED), so a failure replays exactly; the
 * commands run in-process (runThoth), and only a small sample spawns the
 * built binary. Nothing reaches the network: no broker is configured (the
 * embedded one is used), no index is registered, kubeconfigs point nowhere.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runThoth, spawnThoth, type RunResult } from '../support/cli.js';

const SEED = Number(process.env.THOTH_FUZZ_SEED ?? 20261205);
const RUNS = Number(process.env.THOTH_FUZZ_RUNS ?? 20);
const settings = (runs = RUNS) => ({ numRuns: runs, seed: SEED, endOnFailure: true });

const TYPES = [
  'advise-justification',
  'adviser-trigger',
  'cve-provided',
  'hash-mismatch',
  'missing-package-version',
  'package-extract-trigger',
  'package-released',
  'si-unanalyzed-package',
  'solved-package',
  'unresolved-package',
  'update-provides-source-distro',
];

const HOSTILE = [
  '',
  ' ',
  '\u001b]0;owned\u0007',
  '\u001b[2J\u001b[H',
  'line\rforged',
  'a\u0000b',
  '\ud800',
  '\u202eevil',
  '\u0085\u009b31m',
  '__proto__',
  'constructor',
  'prototype',
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  '$(id)',
  '`id`',
  '; rm -rf /',
  '| cat /etc/passwd',
  '../../../etc/passwd',
  '%ZZ',
  'NaN',
  '-1',
  '1e400',
  '9'.repeat(400),
  '['.repeat(3000),
  `${'['.repeat(2000)}${']'.repeat(2000)}`,
  '{"a":'.repeat(1500),
  'x'.repeat(70_000),
  'https://alice:PW-fuzz-secret@index.example/simple',
  '==',
  'a==',
  '==1',
  'requests===1',
  'requests==1==2',
  'requests==1.0; os_name=="nt"',
  '*',
];

const hostile = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
);

/** Message bodies: catalogue-shaped with hostile values, random JSON, or not an object at all. */
const body = fc.oneof(
  fc.record(
    {
      component_name: fc.oneof(fc.constant('adviser'), hostile),
      service_version: fc.oneof(fc.constant('0.1.0'), hostile),
      version: fc.oneof(fc.constant('v1'), hostile),
      package_name: fc.oneof(fc.constant('requests'), hostile, fc.integer()),
      package_version: fc.oneof(fc.constant('2.25.1'), hostile, fc.constant(null)),
      index_url: fc.oneof(fc.constant('https://index.example/simple'), hostile),
      solver: fc.oneof(fc.constant(null), fc.constant('solver-rhel-8-py38'), hostile),
      db_password: fc.oneof(fc.constant('PW-fuzz-secret'), fc.constant(null)),
    },
    { requiredKeys: [] },
  ),
  fc.dictionary(hostile, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
  fc.jsonValue({ maxDepth: 4 }),
);

const headers = fc.dictionary(fc.oneof(hostile, fc.constantFrom('authorization', 'thoth-adviser-id', 'x-token')), hostile, { maxKeys: 4 });
const topic = fc.oneof(
  fc.constantFrom(...TYPES.map((t) => `thoth.fuzz.${t}`), 'thoth.investigator.unresolved-package', 'thoth.solver.solved-package'),
  hostile,
);

/** One line of a recorded stream: a §7 envelope, a kcat -J line, or whatever a file may hold. */
const streamLine = fc.oneof(
  fc
    .record(
      {
        topic,
        key: fc.oneof(fc.constant(null), hostile),
        headers,
        value: body,
        timestamp: fc.oneof(fc.constant('2021-11-27T10:00:00.000Z'), fc.integer(), hostile),
      },
      { requiredKeys: ['topic', 'value'] },
    )
    .map((envelope) => JSON.stringify(envelope)),
  fc
    .record({
      topic,
      partition: fc.oneof(fc.nat(3), fc.integer()),
      offset: fc.oneof(fc.nat(), hostile),
      key: fc.oneof(fc.constant(null), hostile),
      payload: fc.oneof(
        body.map((b) => JSON.stringify(b)),
        hostile,
      ),
      headers: fc.array(hostile, { maxLength: 4 }),
      ts: fc.integer(),
    })
    .map((line) => JSON.stringify(line)),
  hostile.map(String),
);

let dir: string;
let count = 0;
const fresh = () => join(dir, `run-${count++}`);
const env = () => cleanEnv({ KUBECONFIG: join(dir, 'no-kubeconfig') });

// Raw control characters, tab and newline aside: what a person reads must be escaped.
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

function expectClean(run: RunResult, what: string): void {
  const context = `${what}\nexit ${run.code}\nstderr: ${run.stderr.slice(0, 2000)}`;
  expect([0, 1, 2], context).toContain(run.code);
  expect(run.stderr, context).not.toContain('This is a bug');
  expect(run.stderr, context).not.toMatch(/^\s+at .+[:(]/m);
  expect(run.stderr, context).not.toMatch(CONTROLS);
  expect(run.stderr.split('\n').filter((l) => l.startsWith('error:')).length, context).toBeLessThanOrEqual(1);
  expect(run.stdout + run.stderr, context).not.toContain('PW-fuzz-secret');
}

/** How many records the embedded log of `db` holds (0 when the file was never created). */
function logRecords(db: string): number {
  if (!existsSync(db)) return 0;
  const sqlite = new Database(db, { readonly: true });
  try {
    const table = sqlite.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'log_records'").get() as { n: number };
    return table.n === 0 ? 0 : (sqlite.prepare('SELECT count(*) AS n FROM log_records').get() as { n: number }).n;
  } finally {
    sqlite.close();
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-fuzz-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fuzz: hostile input never crashes thoth', () => {
  it('publish --file: bodies of every kind; a failing file sends nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...TYPES), fc.array(body, { minLength: 1, maxLength: 4 }), async (type, bodies) => {
        const base = fresh();
        const file = `${base}.ndjson`;
        writeFileSync(file, bodies.map((b) => JSON.stringify(b)).join('\n'));
        const db = `${base}.db`;
        const run = await runThoth(['--db', db, 'publish', type, '--file', file, '--index-url', 'https://index.example/simple'], {
          env: env(),
        });
        expectClean(run, `publish ${type} --file ${bodies.map((b) => JSON.stringify(b)?.slice(0, 200)).join(' | ')}`);
        if (run.code !== 0) expect(logRecords(db)).toBe(0);
        else expect(logRecords(db)).toBe(bodies.length);
      }),
      settings(),
    );
  });

  it('publish: hostile package specs, fields, keys and headers (--dry-run)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TYPES),
        hostile,
        fc.array(fc.tuple(hostile, hostile), { maxLength: 3 }),
        fc.option(hostile, { nil: undefined }),
        fc.array(fc.tuple(hostile, hostile), { maxLength: 2 }),
        async (type, spec, fields, key, hdrs) => {
          const args = ['--db', `${fresh()}.db`, 'publish', type, String(spec), '--dry-run'];
          for (const [name, value] of fields) args.push('--field', `${String(name)}=${String(value)}`);
          if (key !== undefined) args.push('--key', String(key));
          for (const [name, value] of hdrs) args.push('--header', `${String(name)}=${String(value)}`);
          expectClean(await runThoth(args, { env: env() }), args.join(' ').slice(0, 500));
        },
      ),
      settings(),
    );
  });

  it('replay, tail (every -o) and investigate --from: hostile NDJSON and kcat lines', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(streamLine, { minLength: 1, maxLength: 5 }), async (lines) => {
        const base = fresh();
        const file = `${base}.ndjson`;
        writeFileSync(file, lines.join('\n'));
        const db = `${base}.db`;
        const what = lines.map((l) => l.slice(0, 200)).join('\n');
        expectClean(await runThoth(['--db', db, 'replay', '--include-invalid', file], { env: env() }), `replay\n${what}`);
        for (const format of ['pretty', 'ndjson', 'json']) {
          const tail = await runThoth(['--db', db, 'tail', '--all', '--exit-at-end', '-o', format], {
            env: env(),
            tty: format === 'pretty',
          });
          expectClean(tail, `tail -o ${format}\n${what}`);
          if (format === 'pretty') expect(tail.stdout, what).not.toMatch(CONTROLS);
        }
        const investigate = await runThoth(
          ['--db', `${base}-investigate.db`, 'investigate', '--from', file, '-o', 'ndjson', '--port', 'none', '--max-retries', '1'],
          { env: env() },
        );
        expectClean(investigate, `investigate --from\n${what}`);
      }),
      settings(),
    );
  });

  it('query: hostile names, versions, SQL and flags', async () => {
    const db = join(dir, 'query.db');
    expect(
      (
        await runThoth(['--db', db, 'publish', 'unresolved-package', 'requests==2.25.1', '--index-url', 'https://index.example/simple'], {
          env: env(),
        })
      ).code,
    ).toBe(0);
    const query = fc.oneof(
      fc
        .tuple(fc.constant('package'), hostile, fc.option(hostile, { nil: undefined }))
        .map(([q, n, v]) => [q, String(n), ...(v === undefined ? [] : [String(v)])]),
      fc
        .tuple(
          fc.constant('sql'),
          fc.oneof(
            hostile,
            fc.constantFrom('SELECT 1', 'DELETE FROM indexes', 'PRAGMA writable_schema=1', "ATTACH 'x' AS y", 'SELECT char(27)'),
          ),
        )
        .map(([q, s]) => [q, String(s)]),
      fc
        .tuple(
          fc.constantFrom('workflows', 'dead-letters', 'unresolved', 'missing'),
          fc.constantFrom('--limit', '--since', '--kind', '--status'),
          hostile,
        )
        .map(([q, f, v]) => [q, f, String(v)]),
      fc.constantFrom(['stats'], ['indexes']),
    );
    await fc.assert(
      fc.asyncProperty(query, fc.constantFrom('table', 'json', 'yaml'), async (args, output) => {
        const run = await runThoth(['--db', db, 'query', ...args, '-o', output], { env: env(), tty: output === 'table' });
        expectClean(run, `query ${args.join(' ').slice(0, 300)} -o ${output}`);
        if (output === 'table') expect(run.stdout).not.toMatch(CONTROLS);
      }),
      settings(),
    );
  });

  it('submit: hostile kubeconfigs and parameters never crash (and never reach a server)', async () => {
    // Servers that cannot be reached or parsed: nothing leaves the machine. No exec or auth-provider users.
    const server = fc.constantFrom('not a url', '', 'ht!tp://\u0001', 'https://[::1', 'https://127.0.0.1:99999', '/just/a/path');
    const kubeconfig = fc.oneof(
      hostile.map(String),
      fc
        .record({
          apiVersion: fc.oneof(fc.constant('v1'), hostile),
          kind: fc.oneof(fc.constant('Config'), hostile),
          'current-context': fc.oneof(fc.constant('x'), hostile),
          contexts: fc.array(
            fc.record({
              name: fc.oneof(fc.constant('x'), hostile),
              context: fc.record({ cluster: fc.constant('c'), user: fc.constant('u'), namespace: hostile }),
            }),
            { maxLength: 2 },
          ),
          clusters: fc.array(
            fc.record({ name: fc.constant('c'), cluster: fc.record({ server, 'insecure-skip-tls-verify': fc.boolean() }) }),
            { maxLength: 2 },
          ),
          users: fc.array(fc.record({ name: fc.constant('u'), user: fc.record({ token: hostile }, { requiredKeys: [] }) }), {
            maxLength: 2,
          }),
        })
        .map((config) => stringify(config)),
    );
    await fc.assert(
      fc.asyncProperty(kubeconfig, fc.array(fc.tuple(hostile, hostile), { maxLength: 2 }), async (text, parameters) => {
        const file = `${fresh()}.kubeconfig`;
        writeFileSync(file, text);
        const args = [
          '--db',
          `${fresh()}.db`,
          'submit',
          'solver',
          'requests==2.25.1',
          '--index-url',
          'https://index.example/simple',
          '--kubeconfig',
          file,
          '--dry-run',
          'server',
        ];
        for (const [name, value] of parameters) args.push('-p', `${String(name)}=${String(value)}`);
        expectClean(
          await runThoth(args, { env: env() }),
          `submit with kubeconfig:\n${text.slice(0, 1000)}\n${args.join(' ').slice(0, 300)}`,
        );
      }),
      settings(Math.min(RUNS, 12)),
    );
  });

  it('any command line: hostile operands and flags after a command', async () => {
    const flag = fc.constantFrom(
      '-o',
      '--output',
      '--field',
      '--json',
      '--key',
      '--header',
      '--file',
      '--count',
      '--offset',
      '--since',
      '--filter',
      '--limit',
      '--solver',
      '--index-url',
      '--resume-from',
      '-q',
      '-v',
      '--dry-run',
      '--exit-at-end',
      '--show-secrets',
    );
    const word = fc.oneof(hostile.map(String), flag);
    // No broker, Kafka option or cluster flags: nothing may leave the machine.
    const safe = (w: string) => !/^(-b|--broker|-X|--kafka-option|--kubeconfig|--context)/.test(w);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('publish', 'tail', 'replay', 'query', 'schema', 'topics', 'cache'),
        fc.array(word, { maxLength: 6 }),
        async (command, words) => {
          const args = ['--db', `${fresh()}.db`, command, ...words.filter(safe)];
          if (command === 'publish') args.push('--dry-run');
          if (command === 'tail') args.push('--exit-at-end');
          if (command === 'replay') args.push('--validate-only');
          expectClean(await runThoth(args, { env: env(), stdin: '' }), args.join(' ').slice(0, 500));
        },
      ),
      settings(),
    );
  });
});

describe('fuzz: what earlier runs found stays fixed', () => {
  it('a key, field name or package spec holding URL user info never shows the password', async () => {
    const file = join(dir, 'found.ndjson');
    const secretUrl = 'https://alice:PW-fuzz-secret@index.example/simple';
    writeFileSync(
      file,
      `${JSON.stringify({ topic: 'thoth.investigator.unresolved-package', key: secretUrl, headers: {}, value: { [secretUrl]: 1 } })}\n`,
    );
    const db = join(dir, 'found.db');
    expectClean(
      await runThoth(['--db', db, 'investigate', '--from', file, '-o', 'ndjson', '--port', 'none'], { env: env() }),
      'investigate',
    );
    expectClean(await runThoth(['--db', db, 'replay', '--include-invalid', file], { env: env() }), 'replay');
    for (const format of ['pretty', 'ndjson', 'json']) {
      expectClean(
        await runThoth(['--db', db, 'tail', '--all', '--exit-at-end', '-o', format], { env: env(), tty: format === 'pretty' }),
        format,
      );
    }
    expectClean(await runThoth(['publish', 'si-unanalyzed-package', secretUrl, '--dry-run'], { env: env() }), 'publish spec');
    expectClean(await runThoth(['--db', db, 'publish', 'unresolved-package', '--file', file], { env: env() }), 'publish --file');
  });

  it('a kubeconfig whose server is not an absolute URL is one clear error', async () => {
    const file = join(dir, 'relative.kubeconfig');
    writeFileSync(
      file,
      stringify({
        apiVersion: 'v1',
        'current-context': 'x',
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u', namespace: 'thoth' } }],
        clusters: [{ name: 'c', cluster: { server: '/just/a/path' } }],
        users: [{ name: 'u', user: { token: 't' } }],
      }),
    );
    const run = await runThoth(
      ['submit', 'solver', 'requests==2.25.1', '--index-url', 'https://index.example/simple', '--kubeconfig', file, '--dry-run', 'server'],
      {
        env: env(),
      },
    );
    expectClean(run, 'submit');
    expect(run.stderr).toContain('has server "/just/a/path", not an absolute http(s) URL');
  });
});

describe('fuzz: a sample through the built binary', () => {
  it('deep nesting, a kcat line of garbage and a damaged cache: exit 0-2, one line, no stack', async () => {
    const deep = join(dir, 'deep.ndjson');
    writeFileSync(
      deep,
      `${'['.repeat(5000)}${']'.repeat(5000)}\n{"topic":"t","partition":0,"offset":0,"payload":"\u001b]0;x\u0007","headers":["a"]}\n`,
    );
    const damaged = join(dir, 'damaged.db');
    writeFileSync(damaged, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(8192, 0xab)]));
    const runs: Array<[string, string[]]> = [
      ['publish --file deep', ['--db', join(dir, 'spawn.db'), 'publish', 'unresolved-package', '--file', deep, '--dry-run']],
      ['replay deep', ['--db', join(dir, 'spawn.db'), 'replay', deep]],
      ['query stats on a damaged cache', ['--db', damaged, 'query', 'stats']],
      ['cache check on a damaged cache', ['--db', damaged, 'cache', 'check']],
    ];
    for (const [what, args] of runs) expectClean(await spawnThoth(args, { env: env() }), what);
  });
});
