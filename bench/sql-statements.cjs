// Where a thoth process spends its time in SQLite, statement by statement. Preload it:
//
//   BENCH_SQL_LOG=/tmp/sql.txt node --require ./bench/sql-statements.cjs dist/bin/thoth.js \
//     --db /tmp/bench.db investigate --from stream.ndjson --workflows record
//
// At exit it writes to $BENCH_SQL_LOG (stderr without it) how many statements ran, and for each
// statement text (whitespace folded, cut at 110 characters) how often it ran, its time in all and
// per run. The time is the wall time of the call into better-sqlite3's native Statement (run, get,
// all) or Database.exec: SQLite's work and the crossing into it; the process's own JavaScript around
// it is not counted. Counting adds some 1 us per call: compare runs of the same build with it.
'use strict';
const Module = require('node:module');
const { writeFileSync } = require('node:fs');

const stats = new Map();
const timed = (label, fn, self, args) => {
  const started = process.hrtime.bigint();
  try {
    return fn.apply(self, args);
  } finally {
    const entry = stats.get(label) ?? { runs: 0, ns: 0n };
    entry.runs += 1;
    entry.ns += process.hrtime.bigint() - started;
    stats.set(label, entry);
  }
};
const label = (sql, prefix = '') => prefix + sql.replace(/\s+/g, ' ').trim().slice(0, 110);

// thoth loads better-sqlite3's addon with require (src/store/sqlite.ts): its Statement and
// Database classes are wrapped as they are loaded.
let wrapped = false;
const load = Module._load;
Module._load = function (request, ...rest) {
  const loaded = load.call(this, request, ...rest);
  if (!wrapped && /better_sqlite3\.node$/.test(request)) {
    wrapped = true;
    for (const method of ['run', 'get', 'all']) {
      const original = loaded.Statement.prototype[method];
      loaded.Statement.prototype[method] = function (...args) {
        return timed(label(this.source), original, this, args);
      };
    }
    const exec = loaded.Database.prototype.exec;
    loaded.Database.prototype.exec = function (sql, ...args) {
      return timed(label(sql, 'exec: '), exec, this, [sql, ...args]);
    };
  }
  return loaded;
};

/** A statement as a Markdown code span: double backticks around one that holds a backtick (a savepoint's name). */
const code = (sql) => (sql.includes('`') ? `\`\` ${sql} \`\`` : `\`${sql}\``).replace(/\|/g, '\\|');

process.on('exit', () => {
  const rows = [...stats].sort((a, b) => Number(b[1].ns - a[1].ns));
  const runs = rows.reduce((sum, [, s]) => sum + s.runs, 0);
  const ms = (ns) => Number(ns) / 1e6;
  const total = rows.reduce((sum, [, s]) => sum + s.ns, 0n);
  const lines = [
    `${runs} statements, ${ms(total).toFixed(0)} ms in SQLite${wrapped ? '' : ' (better-sqlite3 was never loaded)'}`,
    '| runs | ms | us per run | statement |',
    '|---:|---:|---:|---|',
    ...rows
      .slice(0, Number(process.env.BENCH_SQL_TOP ?? 25))
      .map(([sql, s]) => `| ${s.runs} | ${ms(s.ns).toFixed(0)} | ${((ms(s.ns) * 1000) / s.runs).toFixed(1)} | ${code(sql)} |`),
  ];
  const text = `${lines.join('\n')}\n`;
  if (process.env.BENCH_SQL_LOG) writeFileSync(process.env.BENCH_SQL_LOG, text);
  else process.stderr.write(text);
});
