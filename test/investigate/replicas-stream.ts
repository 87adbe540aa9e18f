/**
 * The stream the replica tests run (replicas.int.test.ts): generated with a
 * fixed seed, in two phases, so that what it leads to does not depend on the
 * order Kafka hands topics to consumers. Phase one asks (unresolved-package,
 * advice runs waiting, releases, CVE notices, hashes, missing versions, no
 * sdist, adviser triggers); phase two answers (solved-package, si-unanalyzed)
 * once the first is handled. Within a phase no message changes what another
 * decides: the outcome of one replica and of many must be the same set.
 */
import { seededRandom } from '../../scripts/seeded-random.mjs';
import { INDEX } from './investigator-process.js';
import { line, solvedLine, unresolvedLine } from './knowledge-support.js';

const SOLVERS = ['solver-rhel-8-py38', 'solver-fedora-34-py39', 'solver-fedora-35-py310'];

export interface ReplicaStream {
  ask: string[];
  answer: string[];
  /** Every package the stream names (for `thoth query package`). */
  packages: string[];
  /** Advice runs whose every version is solved in phase two: each re-run exactly once. */
  adviceRunsDone: string[];
}

export function replicaStream(options: { packages: number; versions: number; adviceRuns: number; seed: number }): ReplicaStream {
  const rand = seededRandom(options.seed);
  const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)];
  const shuffle = <T>(list: T[]) => {
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [list[i], list[j]] = [list[j], list[i]];
    }
    return list;
  };
  const asked: Array<{ name: string; version: string; solver: string }> = [];
  const packages: string[] = [];
  for (let p = 0; p < options.packages; p++) {
    const name = `pkg-${p}`;
    packages.push(name);
    for (let v = 0; v < options.versions; v++) asked.push({ name, version: `${p % 7}.${v}.0`, solver: pick(SOLVERS) });
  }
  // Released versions: their own packages, never asked about, so flags on them change no decision of the asked ones.
  const released: Array<{ name: string; version: string }> = [];
  for (let p = 0; p < Math.ceil(options.packages / 4); p++) {
    const name = `rel-${p}`;
    packages.push(name);
    for (let v = 0; v < 4; v++) released.push({ name, version: `1.${v}.0` });
  }

  const ask: string[] = [];
  for (const a of asked) {
    ask.push(unresolvedLine(a.name, a.version, undefined, a.solver));
    // A request asked again: one request more, no workflow more.
    if (rand() < 0.2) ask.push(unresolvedLine(a.name, a.version, undefined, a.solver));
  }
  const adviceRunsDone: string[] = [];
  for (let r = 0; r < options.adviceRuns; r++) {
    const id = `adviser-${options.seed}-${r}`;
    const waits = new Set(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(asked)));
    for (const w of waits) ask.push(unresolvedLine(w.name, w.version, id, w.solver));
    adviceRunsDone.push(id);
  }
  for (const r of released) {
    ask.push(
      line(
        'thoth.package-release.package-released',
        { package_name: r.name, package_version: r.version, index_url: INDEX },
        `${r.name}==${r.version}`,
      ),
    );
  }
  for (const r of released.filter(() => rand() < 0.5)) {
    ask.push(
      line(
        'thoth.cve-update.cve-provided',
        { package_name: r.name, package_version: r.version, index_url: INDEX },
        `${r.name}==${r.version}`,
      ),
    );
  }
  for (const r of released.filter(() => rand() < 0.25)) {
    ask.push(
      line(
        'thoth.package-update.hash-mismatch',
        {
          index_url: INDEX,
          package_name: r.name,
          package_version: r.version,
          missing_from_source: [`sha256:${r.name}${r.version}`],
          missing_from_database: [],
        },
        `${r.name}==${r.version}`,
      ),
    );
  }
  const flagged = shuffle([...released]);
  const missing = flagged.slice(0, Math.floor(flagged.length / 5));
  const noSdist = flagged.slice(Math.floor(flagged.length / 5), Math.floor((2 * flagged.length) / 5));
  for (const r of missing)
    ask.push(
      line(
        'thoth.package-update.missing-package-version',
        { index_url: INDEX, package_name: r.name, package_version: r.version },
        `${r.name}==${r.version}`,
      ),
    );
  for (const r of noSdist)
    ask.push(
      line(
        'thoth.update-provides-source-distro',
        { package_name: r.name, package_version: r.version, index_url: INDEX, value: false },
        `${r.name}==${r.version}`,
      ),
    );
  for (let t = 0; t < Math.ceil(options.adviceRuns / 3); t++)
    ask.push(
      line(
        'thoth.adviser-trigger',
        { recommendation_type: pick(['latest', 'stable', 'security']), origin: `https://github.com/org/repo-${t}` },
        null,
      ),
    );

  const answer: string[] = [];
  for (const a of asked) {
    answer.push(solvedLine(a.name, a.version, a.solver));
    if (rand() < 0.2) answer.push(solvedLine(a.name, a.version, a.solver));
  }
  // Released versions that are neither missing nor without sdist: solved (security indicators follow).
  const flaggedKeys = new Set([...missing, ...noSdist].map((r) => `${r.name}==${r.version}`));
  for (const r of released.filter((x) => !flaggedKeys.has(`${x.name}==${x.version}`)))
    for (const s of SOLVERS) answer.push(solvedLine(r.name, r.version, s));
  for (const a of asked.filter(() => rand() < 0.1))
    answer.push(
      line(
        'thoth.investigator.si-unanalyzed-package',
        { package_name: a.name, package_version: a.version, index_url: INDEX },
        `${a.name}==${a.version}`,
      ),
    );
  return { ask: shuffle(ask), answer: shuffle(answer), packages, adviceRunsDone: adviceRunsDone.sort() };
}
