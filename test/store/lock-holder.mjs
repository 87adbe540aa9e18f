// Another process holding the knowledge cache at PATH locked, for the lock-wait tests:
// MODE `write` begins a write transaction (other writers wait; readers of the WAL go on),
// MODE `exclusive` locks the whole file (readers wait too). It prints `held`, and lets go
// (commits, closes, exits) when a line arrives on stdin.
import Database from 'better-sqlite3';

const [path, mode] = process.argv.slice(2);
const db = new Database(path);
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
