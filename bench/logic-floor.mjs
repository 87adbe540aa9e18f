/**
 * A floor for issue 15 under the cache and the pipeline both: thoth's own per-message logic, composed in one plain
 * loop, over the records of an embedded broker's log (what `thoth replay --broker embedded` wrote). Used by
 * bench/investigate-throughput.mjs; not the investigator, and never to be used as one.
 *
 * Each record of the topics the investigator's default modes read goes through the real code: decodeConsumed (size,
 * JSON as Python reads it, the message's schema), planEffects (the handlers), factsOfChange, scheduleWorkflow
 * (`--workflows record`: the workflow built, named and recorded), workflowFact and encodeFact; after each record, the
 * security-indicators decision of every version a fact of it may complete (evaluate; advice decisions, and the re-runs
 * they publish, are not taken: the generated stream has none, a stream of every type some). What is left out is what the
 * investigator adds around that logic: the cache's query tables (the reads are answered from memory, built from the
 * facts as they come), the decisions as records of their own, the per-record transaction work, events, metrics and
 * the async pipeline. Per batch of `batch` records of a partition, one transaction writes what a fact log would:
 * the facts (key and value, no index), each record's inbox row and the partition's offset, synchronous=FULL.
 *
 * A record whose logic asks the cache something the memory here does not model (advice runs, a fact of a kind it does
 * not keep) is not counted and not written: `unmodelled` says how many.
 * A record the decoder or a handler refuses is counted, with a dead-letter row, as the investigator counts it.
 *
 * Run in a process of its own, as the investigator is (its code compiled cold), with the investigator's environment
 * (THOTH_INDEX_URLS, THOTH_SOLVERS, ...):
 *   node bench/logic-floor.mjs SOURCE.db TARGET.db [BATCH [no-writes]]   # prints {"ms":…,"seen":…,…}: the loop's time alone
 * `no-writes`: the same loop with nothing written (the facts still encoded), to tell the logic from the log's writes.
 */
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { readSettings } from '../dist/src/config/settings.js';
import { investigatorConfig } from '../dist/src/config/investigator.js';
import { DEFAULT_BATCH } from '../dist/src/transport/batch.js';
import { decodeConsumed } from '../dist/src/investigate/record-decoder.js';
import { planEffects } from '../dist/src/investigate/dispatch.js';
import { factsOfChange } from '../dist/src/investigate/knowledge-facts.js';
import { evaluate, decisionKey } from '../dist/src/investigate/decisions.js';
import { handlesInMode } from '../dist/src/investigate/modes.js';
import { typeOfTopic } from '../dist/src/messages/records.js';
import { scheduleWorkflow } from '../dist/src/workflows/schedule.js';
import { workflowFact } from '../dist/src/store/ledger.js';
import { encodeFact } from '../dist/src/facts/codec.js';
import { IN_FLIGHT_STATUSES, mayCompleteDecision, versionOf } from '../dist/src/facts/facts.js';
import { PermanentError } from '../dist/src/core/errors.js';

class Unmodelled extends Error {}

/** What the handlers and the decision read, answered from the facts seen so far; anything else is Unmodelled. */
function memoryView(indexUrls) {
  const key = (v) => `${v.indexUrl}\u0000${v.packageName}\u0000${v.packageVersion}`;
  const versions = new Map();
  /** index + name -> the versions known. */
  const packages = new Map();
  const byKey = new Map();
  const byName = new Map();
  /** kind + version -> names of its workflows. */
  const ofVersion = new Map();
  const version = (v) => {
    let known = versions.get(key(v));
    if (!known) {
      versions.set(key(v), (known = { solvers: new Set(), wanted: false, missing: false, sdist: null, si: 'none' }));
      const pkg = `${v.indexUrl}\u0000${v.packageName}`;
      packages.set(pkg, [...(packages.get(pkg) ?? []), v.packageVersion]);
    }
    return known;
  };
  const inFlight = (kind, v) =>
    (ofVersion.get(`${kind}\u0000${key(v)}`) ?? []).map((name) => byName.get(name)).filter((w) => IN_FLIGHT_STATUSES.has(w.status));
  const answers = {
    isIndexRegistered: (url) => indexUrls.includes(url),
    registeredIndexes: () => indexUrls,
    isVersionKnown: (v) => versions.has(key(v)),
    knownVersions: (packageName, indexUrl) =>
      (packages.get(`${indexUrl}\u0000${packageName}`) ?? []).map((packageVersion) => ({ packageName, packageVersion, indexUrl })),
    solversLacking: (v, solvers) => solvers.filter((s) => !versions.get(key(v))?.solvers.has(s)),
    workflowsInFlight: inFlight,
    findWorkflow: (name) => byName.get(name),
    findWorkflowByKey: (k) => byKey.get(k),
    securityIndicatorsFacts: (v) => {
      const known = versions.get(key(v));
      return {
        wanted: known?.wanted ?? false,
        missing: known?.missing ?? false,
        providesSourceDistro: known?.sdist ?? null,
        state: known?.si ?? 'none',
      };
    },
  };
  const view = new Proxy(answers, {
    get: (target, name) =>
      name in target
        ? target[name]
        : () => {
            throw new Unmodelled(String(name));
          },
  });
  const learn = (fact) => {
    if (fact.kind === 'workflow') {
      const w = fact.workflow;
      if (!byName.has(w.name) && w.packageName) {
        const k = `${w.kind}\u0000${key(w)}`;
        ofVersion.set(k, [...(ofVersion.get(k) ?? []), w.name]);
      }
      byName.set(w.name, w);
      byKey.set(w.idempotencyKey, w);
      return;
    }
    if (fact.kind === 'package-missing') {
      for (const packageVersion of fact.versions)
        version({ indexUrl: fact.indexUrl, packageName: fact.packageName, packageVersion }).missing = true;
    } else if (fact.kind === 'version' || fact.kind === 'request' || fact.kind === 'hash' || fact.kind === 'cve') version(fact.version);
    else if (fact.kind === 'missing') version(fact.version).missing = fact.missing;
    else if (fact.kind === 'provides-source-distro') version(fact.version).sdist = fact.value;
    else if (fact.kind === 'solved') Object.assign(version(fact.version), { wanted: true }).solvers.add(fact.solver);
    else if (fact.kind === 'security-indicators-requested') version(fact.version).wanted = true;
    else if (fact.kind === 'security-indicators') version(fact.version).si = fact.state;
    else throw new Unmodelled(fact.kind);
  };
  return { view, learn };
}

/**
 * Runs the logic over the log in `source` (read only), writing into a new file `target`; returns the time of the
 * loop (no start-up, no imports) and the counts.
 */
export async function logicFloor(source, target, { config, batch, write = true, maxBytes = 1_000_000 }) {
  const log = new Database(source, { readonly: true });
  const partitions = log
    .prepare('SELECT DISTINCT topic, partition FROM log_records ORDER BY topic, partition')
    .all()
    .filter(({ topic }) => {
      const type = typeOfTopic(topic, config.deploymentName);
      return type !== undefined && handlesInMode(type.name, config.modes);
    });
  const read = log.prepare(
    'SELECT "offset", key, headers, value FROM log_records WHERE topic = ? AND partition = ? AND "offset" >= ? ORDER BY "offset" LIMIT ?',
  );
  const out = new Database(target);
  out.pragma('journal_mode = WAL');
  out.pragma('synchronous = FULL');
  out.exec(`
    CREATE TABLE fact_log (seq INTEGER PRIMARY KEY, key TEXT NOT NULL, value TEXT NOT NULL);
    CREATE TABLE inbox (topic TEXT, partition INTEGER, "offset" INTEGER, outcome TEXT, processed_at TEXT, PRIMARY KEY (topic, partition, "offset")) WITHOUT ROWID;
    CREATE TABLE dead_letters (topic TEXT, partition INTEGER, "offset" INTEGER, error_class TEXT, reason TEXT, value TEXT);
    CREATE TABLE offsets (topic TEXT, partition INTEGER, next_offset INTEGER, PRIMARY KEY (topic, partition)) WITHOUT ROWID;`);
  const writeFact = out.prepare('INSERT INTO fact_log (key, value) VALUES (?, ?)');
  const writeInbox = out.prepare('INSERT INTO inbox VALUES (?, ?, ?, ?, ?)');
  const writeLetter = out.prepare('INSERT INTO dead_letters VALUES (?, ?, ?, ?, ?, ?)');
  const writeOffset = out.prepare('INSERT INTO offsets VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET next_offset = excluded.next_offset');

  const { view, learn } = memoryView(config.indexUrls);
  const now = () => Date.now();
  const counts = { seen: 0, deadLettered: 0, unmodelled: 0, facts: 0 };
  const started = process.hrtime.bigint();

  /** The facts of `effects` (their workflows recorded), learnt; the caller writes them. */
  const apply = async (effects, source, at, into) => {
    for (const effect of effects) if (effect.type === 'record') into.push(...factsOfChange(effect.change, { at, source, view }));
    for (const effect of effects) {
      if (effect.type !== 'schedule') continue;
      const entries = [];
      const ledger = {
        findWorkflowByKey: (k) => view.findWorkflowByKey(k),
        recordWorkflow: (entry) => void entries.push(entry),
        setWorkflowStatus() {},
      };
      await scheduleWorkflow(
        { ...effect.request, source: effect.request.source ?? source },
        { store: ledger, kube: null, namespace: 'thoth', now },
      );
      for (const entry of entries) into.push(workflowFact(entry, view.findWorkflow(entry.name)));
    }
  };

  for (const { topic, partition } of partitions) {
    for (let offset = 0; ;) {
      const rows = read.all(topic, partition, offset, batch);
      if (rows.length === 0) break;
      const facts = [];
      const inbox = [];
      const letters = [];
      for (const row of rows) {
        const source = { topic, partition, offset: row.offset };
        const at = new Date(now()).toISOString();
        const own = [];
        try {
          const headers = JSON.parse(row.headers);
          const { type, message } = decodeConsumed(
            { ...source, key: row.key, headers, value: row.value },
            { deploymentName: config.deploymentName, maxBytes },
          );
          await apply(await planEffects({ type, message, headers, source }, { store: view, config, index: null, now }), source, at, own);
          own.forEach(learn);
          // The security-indicators decisions its facts may complete, taken at once.
          for (const fact of own.slice()) {
            const version = mayCompleteDecision(fact) ? versionOf(fact) : undefined;
            if (!version) continue;
            const verdict = evaluate(view, config, decisionKey({ kind: 'security-indicators', version }), source);
            if (!verdict.due) continue;
            const taken = [];
            await apply(verdict.effects, source, at, taken);
            taken.forEach(learn);
            own.push(...taken);
          }
        } catch (error) {
          if (error instanceof Unmodelled) {
            counts.unmodelled++;
            continue;
          }
          if (!(error instanceof PermanentError)) throw error;
          letters.push([topic, partition, row.offset, error.errorClass, error.message, row.value]);
          inbox.push([topic, partition, row.offset, 'dead-letter', at]);
          counts.deadLettered++;
          counts.seen++;
          continue;
        }
        facts.push(...own);
        inbox.push([topic, partition, row.offset, 'done', at]);
        counts.seen++;
      }
      offset = rows[rows.length - 1].offset + 1;
      counts.facts += facts.length;
      if (!write) {
        for (const fact of facts) encodeFact(fact);
        continue;
      }
      out
        .transaction(() => {
          for (const fact of facts) {
            const { key, value } = encodeFact(fact);
            writeFact.run(key, value);
          }
          for (const row of inbox) writeInbox.run(row);
          for (const letter of letters) writeLetter.run(letter);
          writeOffset.run(topic, partition, offset);
        })
        .immediate();
    }
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  log.close();
  out.close();
  return { ms, ...counts };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [source, target, batch, writes] = process.argv.slice(2);
  const config = investigatorConfig(readSettings(process.env));
  const result = await logicFloor(source, target, {
    config,
    batch: Number(batch ?? DEFAULT_BATCH.maxRecords),
    write: writes !== 'no-writes',
  });
  console.log(JSON.stringify(result));
}
