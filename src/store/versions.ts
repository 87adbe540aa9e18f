/**
 * Package versions and what is known of each: the index they live on, the
 * is_missing / provides_source_distro flags, artifact hashes, solver results,
 * security-indicator state and CVE notices.
 */
import { isoNow, type Clock } from '../core/clock.js';
import { versionRef, type Fact } from '../facts/facts.js';
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
  | 'isVersionKnown'
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

/** The key as stored: PEP 503 name, PEP 440 canonical version, index without trailing slash. */
export function storedKey(key: PackageKey): [string, string, string] {
  const ref = versionRef(key);
  return [ref.packageName, ref.packageVersion, ref.indexUrl];
}

interface VersionRow {
  id: number;
  is_missing: number;
  provides_source_distro: number | null;
  si_state: string;
}

/**
 * Reads answer from the projected tables; every write is a fact applied
 * through `write` (src/store/projection.ts), as a fact read from the
 * knowledge topic would be.
 */
export function versionFunctions(prepare: Prepare, clock: Clock, write: (facts: Fact[]) => void): VersionFunctions {
  const now = () => isoNow(clock);
  const find = (key: PackageKey) =>
    prepare(
      'SELECT id, is_missing, provides_source_distro, si_state FROM package_versions WHERE package_name = ? AND package_version = ? AND index_url = ?',
    ).get(...storedKey(key)) as VersionRow | undefined;
  /** A version fact only for a version not seen yet: its time is when it was first seen. */
  const hasVersionFact = (key: PackageKey) => {
    const [name, version, index] = storedKey(key);
    return (
      prepare(`SELECT 1 FROM facts WHERE kind = 'version' AND package_name = ? AND package_version = ? AND index_url = ?`).get(
        name,
        version,
        index,
      ) !== undefined
    );
  };
  const solverResults = (id: number) =>
    new Set((prepare('SELECT solver FROM solver_results WHERE version_id = ?').all(id) as Array<{ solver: string }>).map((r) => r.solver));

  const registerIndex = (indexUrl: string) => {
    prepare('INSERT INTO indexes (url, registered_at) VALUES (?, ?) ON CONFLICT (url) DO NOTHING').run(normalizeIndexUrl(indexUrl), now());
  };

  return {
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
    recordVersion: (key) => {
      if (!hasVersionFact(key)) write([{ kind: 'version', version: versionRef(key), at: now() }]);
    },
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
    isVersionKnown: (key) => find(key) !== undefined,
    setMissing: (key, missing) => write([{ kind: 'missing', version: versionRef(key), missing, at: now() }]),
    setPackageMissing: (packageName, indexUrl) => {
      const name = normalizePackageName(packageName);
      const index = normalizeIndexUrl(indexUrl);
      const versions = (
        prepare('SELECT package_version FROM package_versions WHERE package_name = ? AND index_url = ? ORDER BY id').all(
          name,
          index,
        ) as Array<{
          package_version: string;
        }>
      ).map((r) => r.package_version);
      write([{ kind: 'package-missing', indexUrl: index, packageName: name, versions, at: now() }]);
      return versions.length;
    },
    isMissing: (key) => find(key)?.is_missing === 1,
    setProvidesSourceDistro: (key, value) => write([{ kind: 'provides-source-distro', version: versionRef(key), value, at: now() }]),
    providesSourceDistro: (key) => {
      const value = find(key)?.provides_source_distro;
      return value === undefined || value === null ? null : value === 1;
    },
    setHashPresent: (key, hashes, present) => {
      const at = now();
      write(hashes.map((hash): Fact => ({ kind: 'hash', version: versionRef(key), hash, present, at })));
    },
    recordSolved: (key, solver, options = {}) =>
      write([{ kind: 'solved', version: versionRef(key), solver, error: options.error === true, at: now() }]),
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
      if (state === 'none') throw new RangeError('security indicators cannot be set back to none');
      write([{ kind: 'security-indicators', version: versionRef(key), state, at: now() }]);
    },
    recordCve: (key, receivedAt, notice) => {
      const at = canonicalTime(receivedAt);
      write([{ kind: 'cve', version: versionRef(key), notice: notice ?? at, at }]);
    },
  };
}
