/**
 * Package versions and what is known of each: the index they live on, the
 * is_missing / provides_source_distro flags, artifact hashes, solver results,
 * security-indicator state and CVE notices.
 */
import { isoNow, type Clock } from '../core/clock.js';
import type { KnowledgeStore, PackageKey } from './types.js';
import { canonicalTime, normalizeIndexUrl, normalizePackageName } from './names.js';
import type { Prepare } from './statements.js';

export type VersionFunctions = Pick<
  KnowledgeStore,
  | 'registeredIndexes'
  | 'isIndexRegistered'
  | 'registerIndex'
  | 'recordVersion'
  | 'knownVersions'
  | 'setMissing'
  | 'setPackageMissing'
  | 'isMissing'
  | 'setProvidesSourceDistro'
  | 'providesSourceDistro'
  | 'setHashPresent'
  | 'recordSolved'
  | 'isSolved'
  | 'solversLacking'
  | 'securityIndicatorState'
  | 'setSecurityIndicatorState'
  | 'recordCve'
> & {
  /** Registers every index of a comma-separated list (THOTH_INDEX_URLS); returns the ones that were new. */
  seedIndexes(urls: string | readonly string[] | undefined): string[];
};

/** The key as stored: normalised name, trimmed version, index without trailing slash. */
export function storedKey(key: PackageKey): [string, string, string] {
  return [normalizePackageName(key.packageName), key.packageVersion.trim(), normalizeIndexUrl(key.indexUrl)];
}

interface VersionRow {
  id: number;
  is_missing: number;
  provides_source_distro: number | null;
  si_state: string;
}

export function versionFunctions(prepare: Prepare, clock: Clock): VersionFunctions & { readonly versionId: (key: PackageKey) => number } {
  const now = () => isoNow(clock);
  const find = (key: PackageKey) =>
    prepare(
      'SELECT id, is_missing, provides_source_distro, si_state FROM package_versions WHERE package_name = ? AND package_version = ? AND index_url = ?',
    ).get(...storedKey(key)) as VersionRow | undefined;
  /** The row id of the version, recording the version when it is new. */
  const versionId = (key: PackageKey): number => {
    const found = find(key);
    if (found) return found.id;
    const info = prepare('INSERT INTO package_versions (package_name, package_version, index_url, first_seen) VALUES (?, ?, ?, ?)').run(
      ...storedKey(key),
      now(),
    );
    return Number(info.lastInsertRowid);
  };
  const solverResults = (id: number) =>
    new Set((prepare('SELECT solver FROM solver_results WHERE version_id = ?').all(id) as Array<{ solver: string }>).map((r) => r.solver));

  const registerIndex = (indexUrl: string) => {
    prepare('INSERT INTO indexes (url, registered_at) VALUES (?, ?) ON CONFLICT (url) DO NOTHING').run(normalizeIndexUrl(indexUrl), now());
  };

  return {
    versionId,
    registeredIndexes: () => (prepare('SELECT url FROM indexes ORDER BY url').all() as Array<{ url: string }>).map((r) => r.url),
    isIndexRegistered: (indexUrl) => prepare('SELECT 1 FROM indexes WHERE url = ?').get(normalizeIndexUrl(indexUrl)) !== undefined,
    registerIndex,
    seedIndexes: (urls) => {
      const list = (typeof urls === 'string' || urls === undefined ? (urls ?? '').split(',') : urls).map((u) => u.trim()).filter(Boolean);
      const added: string[] = [];
      for (const url of list) {
        const before = prepare('SELECT 1 FROM indexes WHERE url = ?').get(normalizeIndexUrl(url));
        if (!before) {
          registerIndex(url);
          added.push(normalizeIndexUrl(url));
        }
      }
      return added;
    },
    recordVersion: (key) => void versionId(key),
    knownVersions: (packageName, indexUrl) => {
      const name = normalizePackageName(packageName);
      const rows = (
        indexUrl === undefined
          ? prepare('SELECT package_name, package_version, index_url FROM package_versions WHERE package_name = ? ORDER BY id').all(name)
          : prepare(
              'SELECT package_name, package_version, index_url FROM package_versions WHERE package_name = ? AND index_url = ? ORDER BY id',
            ).all(name, normalizeIndexUrl(indexUrl))
      ) as Array<{ package_name: string; package_version: string; index_url: string }>;
      return rows.map((r) => ({ packageName: r.package_name, packageVersion: r.package_version, indexUrl: r.index_url }));
    },
    setMissing: (key, missing) => {
      prepare('UPDATE package_versions SET is_missing = ? WHERE id = ?').run(missing ? 1 : 0, versionId(key));
    },
    setPackageMissing: (packageName, indexUrl) =>
      prepare('UPDATE package_versions SET is_missing = 1 WHERE package_name = ? AND index_url = ?').run(
        normalizePackageName(packageName),
        normalizeIndexUrl(indexUrl),
      ).changes,
    isMissing: (key) => find(key)?.is_missing === 1,
    setProvidesSourceDistro: (key, value) => {
      prepare('UPDATE package_versions SET provides_source_distro = ? WHERE id = ?').run(value ? 1 : 0, versionId(key));
    },
    providesSourceDistro: (key) => {
      const value = find(key)?.provides_source_distro;
      return value === undefined || value === null ? null : value === 1;
    },
    setHashPresent: (key, hashes, present) => {
      const id = versionId(key);
      const at = now();
      const upsert = prepare(
        'INSERT INTO hashes (version_id, hash, present, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (version_id, hash) DO UPDATE SET present = excluded.present, updated_at = excluded.updated_at',
      );
      for (const hash of hashes) upsert.run(id, hash, present ? 1 : 0, at);
    },
    recordSolved: (key, solver, options = {}) => {
      prepare(
        'INSERT INTO solver_results (version_id, solver, error, solved_at) VALUES (?, ?, ?, ?) ON CONFLICT (version_id, solver) DO UPDATE SET error = excluded.error, solved_at = excluded.solved_at',
      ).run(versionId(key), solver, options.error ? 1 : 0, now());
    },
    // A result counts even when it is an error: solving again would fail the same way.
    isSolved: (key, solver) => {
      const found = find(key);
      return (
        found !== undefined &&
        prepare('SELECT 1 FROM solver_results WHERE version_id = ? AND solver = ?').get(found.id, solver) !== undefined
      );
    },
    solversLacking: (key, solvers) => {
      const found = find(key);
      if (!found) return [...solvers];
      const have = solverResults(found.id);
      return solvers.filter((s) => !have.has(s));
    },
    securityIndicatorState: (key) => (find(key)?.si_state ?? 'none') as ReturnType<KnowledgeStore['securityIndicatorState']>,
    setSecurityIndicatorState: (key, state) => {
      prepare('UPDATE package_versions SET si_state = ? WHERE id = ?').run(state, versionId(key));
    },
    recordCve: (key, receivedAt) => {
      prepare('INSERT INTO cve_notices (version_id, received_at) VALUES (?, ?) ON CONFLICT DO NOTHING').run(
        versionId(key),
        canonicalTime(receivedAt),
      );
    },
  };
}
