/**
 * A record that keeps failing transiently holds back its own partition and
 * no other (SPEC §3: "pause the partition while waiting"): on both
 * transports a message published to another topic while the first one is
 * retrying is handled meanwhile.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { INDEX, TRANSPORTS, lines, site, tempDir } from '../commands/publish-support.js';

/** An index nothing listens on: asking it for versions fails transiently, every time. */
const SILENT_INDEX = 'http://127.0.0.1:9/simple';

function ledgerKinds(db: string): string[] {
  const sqlite = new Database(db, { readonly: true });
  try {
    return (sqlite.prepare('SELECT kind FROM workflows').all() as Array<{ kind: string }>).map((r) => r.kind);
  } catch {
    return [];
  } finally {
    sqlite.close();
  }
}

describe.each(TRANSPORTS)('a record retrying on the %s broker', (kind) => {
  it('holds back its own partition only: a message on another topic is handled meanwhile', async () => {
    const s = site(kind);
    const file = join(tempDir(), 'stuck.ndjson');
    const stuck = {
      component_name: 'test',
      service_version: '1.0.0',
      version: 'v1',
      package_name: 'flask',
      index_url: SILENT_INDEX,
      solver: null,
    };
    writeFileSync(
      file,
      `${JSON.stringify({ topic: 'thoth.investigator.unresolved-package', key: 'flask', headers: {}, value: stuck, timestamp: Date.now() })}\n`,
    );
    expect((await s.thoth(['replay', file])).code).toBe(0);

    const controller = new AbortController();
    const running = s.thoth(['investigate', '--workflows', 'record', '--port', 'none', '--index-url', INDEX, '--index-url', SILENT_INDEX], {
      signal: controller.signal,
    });
    // Let it take the stuck record and start retrying; then another topic gets a message.
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await s.thoth(['publish', 'repo-init', '--field', 'project_url=https://github.com/thoth-station/thoth'])).code).toBe(0);
    let handled = false;
    for (let i = 0; i < 300 && !handled; i++) {
      handled = ledgerKinds(s.db).includes('repo-init');
      if (!handled) await new Promise((r) => setTimeout(r, 100));
    }
    controller.abort('SIGTERM');
    const result = await running;
    expect(handled, 'the repo-init message was handled while the other record was retrying').toBe(true);
    expect(result.code).toBe(0);
    const events = lines(result.stdout);
    const stuckEvents = events.filter((e) => e.type === 'unresolved-package');
    expect(stuckEvents.filter((e) => e.event === 'received')).toHaveLength(1);
    expect(stuckEvents.filter((e) => e.event === 'retry').length).toBeGreaterThan(0);
    expect(stuckEvents.some((e) => e.event === 'processed' || e.event === 'dead-letter')).toBe(false);
    // The attempts go on counting across hand-backs.
    expect(stuckEvents.filter((e) => e.event === 'retry').map((e) => e.attempt)).toEqual(
      stuckEvents.filter((e) => e.event === 'retry').map((_, i) => i + 1),
    );
  }, 60_000);
});
