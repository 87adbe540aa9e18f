/**
 * Migration 4's carry-over: a cache written before knowledge became facts
 * holds it in tables only. Each row becomes the facts that say it (versions
 * canonicalised on the way, so two spellings of one version meet), then the
 * tables are projected again from those facts. `thoth cache rebuild` can then
 * publish them to a knowledge topic created after the cache.
 */
import type Database from 'better-sqlite3';
import { encodeFact } from '../facts/codec.js';
import { versionRef, type Fact, type VersionRef, type WorkflowStatus } from '../facts/facts.js';
import { projection } from './projection.js';
import { statementCache } from './statements.js';

interface VersionRow {
  id: number;
  package_name: string;
  package_version: string;
  index_url: string;
  is_missing: number;
  provides_source_distro: number | null;
  si_state: string;
  first_seen: string;
}

export function factsFromTables(db: Database.Database): void {
  const prepare = statementCache(db);
  const facts: Fact[] = [];
  const refs = new Map<number, VersionRef>();
  for (const row of db.prepare('SELECT * FROM package_versions').all() as VersionRow[]) {
    const version = versionRef({ packageName: row.package_name, packageVersion: row.package_version, indexUrl: row.index_url });
    refs.set(row.id, version);
    const at = row.first_seen;
    facts.push({ kind: 'version', version, at });
    if (row.is_missing) facts.push({ kind: 'missing', version, missing: true, at });
    if (row.provides_source_distro !== null)
      facts.push({ kind: 'provides-source-distro', version, value: row.provides_source_distro === 1, at });
    if (row.si_state === 'scheduled' || row.si_state === 'done' || row.si_state === 'failed')
      facts.push({ kind: 'security-indicators', version, state: row.si_state, at });
  }
  const ref = (id: number) => refs.get(id);
  for (const r of db.prepare('SELECT * FROM solver_results').all() as Array<{
    version_id: number;
    solver: string;
    error: number;
    solved_at: string;
  }>) {
    const version = ref(r.version_id);
    if (version) facts.push({ kind: 'solved', version, solver: r.solver, error: r.error === 1, at: r.solved_at });
  }
  for (const r of db.prepare('SELECT * FROM hashes').all() as Array<{
    version_id: number;
    hash: string;
    present: number;
    updated_at: string;
  }>) {
    const version = ref(r.version_id);
    if (version) facts.push({ kind: 'hash', version, hash: r.hash, present: r.present === 1, at: r.updated_at });
  }
  for (const r of db.prepare('SELECT * FROM cve_notices').all() as Array<{ version_id: number; received_at: string }>) {
    const version = ref(r.version_id);
    if (version) facts.push({ kind: 'cve', version, notice: `legacy:${r.received_at}`, at: r.received_at });
  }
  for (const r of db.prepare('SELECT * FROM unresolved_requests').all() as Array<{
    version_id: number;
    solver: string;
    first_seen: string;
    last_seen: string;
    count: number;
  }>) {
    const version = ref(r.version_id);
    if (version)
      facts.push({
        kind: 'request',
        version,
        solver: r.solver || null,
        request: 'legacy',
        at: r.first_seen,
        count: Math.max(1, r.count),
        lastAt: r.last_seen,
      });
  }
  const runs = new Map<string, string>();
  for (const r of db.prepare('SELECT * FROM advice_runs').all() as Array<{
    adviser_id: string;
    recommendation_type: string;
    created_at: string;
    re_run_published_at: string | null;
  }>) {
    runs.set(r.adviser_id, r.recommendation_type);
    facts.push({ kind: 'advice', adviserId: r.adviser_id, recommendationType: r.recommendation_type, at: r.created_at });
    if (r.re_run_published_at)
      facts.push({ kind: 'advice-re-run', adviserId: r.adviser_id, recommendationType: r.recommendation_type, at: r.re_run_published_at });
  }
  for (const r of db
    .prepare('SELECT w.adviser_id, w.version_id, r.created_at FROM advice_waits w JOIN advice_runs r USING (adviser_id)')
    .all() as Array<{
    adviser_id: string;
    version_id: number;
    created_at: string;
  }>) {
    const version = ref(r.version_id);
    if (version)
      facts.push({
        kind: 'advice-wait',
        adviserId: r.adviser_id,
        recommendationType: runs.get(r.adviser_id) ?? 'latest',
        version,
        at: r.created_at,
      });
  }
  for (const w of db.prepare('SELECT * FROM workflows ORDER BY created_at, rowid').all() as Array<Record<string, string | number | null>>) {
    const hasPackage = w.package_name && w.package_version && w.index_url;
    const pkg = hasPackage
      ? versionRef({ packageName: String(w.package_name), packageVersion: String(w.package_version), indexUrl: String(w.index_url) })
      : null;
    facts.push({
      kind: 'workflow',
      workflow: {
        name: String(w.name),
        kind: String(w.kind),
        namespace: String(w.namespace),
        parameters: JSON.parse(String(w.parameters)) as Record<string, string>,
        idempotencyKey: String(w.idempotency_key),
        status: String(w.status) as WorkflowStatus,
        source:
          w.source_topic === null
            ? null
            : { topic: String(w.source_topic), partition: Number(w.source_partition ?? 0), offset: Number(w.source_offset ?? 0) },
        createdAt: String(w.created_at),
        updatedAt: String(w.updated_at),
        packageName: pkg?.packageName ?? (w.package_name === null ? null : String(w.package_name)),
        packageVersion: pkg?.packageVersion ?? (w.package_version === null ? null : String(w.package_version)),
        indexUrl: pkg?.indexUrl ?? null,
      },
    });
  }
  const project = projection(prepare);
  project.apply(facts.map((fact) => ({ type: 'fact', ...encodeFact(fact), value: encodeFact(fact).value!, fact })));
  project.rebuild();
}
