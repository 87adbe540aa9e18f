// Another process holding the knowledge cache at PATH locked, for the lock-wait tests:
// MODE `write` begins a write transaction (other writers wait; readers of the WAL go on),
// MODE `exclusive` locks the whole file (readers wait too). It prints `held`, and lets go
// (commits, closes, exits) when a line arrives on stdin. With GROUP, it first leases a
// partition of the embedded log to itself as a member of GROUP, as a consumer would.
import { hostname } from 'node:os';
import Database from 'better-sqlite3';

const [path, mode, group] = process.argv.slice(2);
const db = new Database(path);
if (group) {
  db.prepare('INSERT INTO log_group_leases (group_id, topic, partition, owner, generation, expires_at) VALUES (?, ?, 0, ?, 1, ?)').run(
    group,
    'thoth.investigator.unresolved-package',
    `${hostname()}:${process.pid}:lockwait`,
    Date.now() + 600_000,
  );
}
if (mode === 'exclusive') {
  db.pragma('locking_mode = EXCLUSIVE');
  db.exec('BEGIN EXCLUSIVE');
} else {
  db.exec('BEGIN IMMEDIATE');
}
process.stdout.write('held\n');
process.stdin.once('data', () => {
  db.exec('COMMIT');
  db.close();
  process.stdout.write('released\n');
  process.exit(0);
});
