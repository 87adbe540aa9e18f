#!/usr/bin/env node
/**
 * A real single-node Kafka broker (KRaft, no ZooKeeper) on loopback, for tests
 * and for users who want one without installing Kafka.
 *
 *   node scripts/kafka.mjs fetch    resolve the broker jars from Maven Central once
 *   node scripts/kafka.mjs start    format + start a broker, print KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:PORT
 *   node scripts/kafka.mjs status   print the running broker's address, exit 1 when none runs
 *   node scripts/kafka.mjs stop     stop it and remove its data
 *
 * Version: Kafka 4.1.1, a 4.x patch release whose broker runs on Java 17.
 * kafkajs 2.2.4 works with it: it negotiates the highest version of each API
 * that both sides support, and for every API thoth uses (ApiVersions,
 * Metadata, Produce, Fetch, ListOffsets, FindCoordinator, Join/Sync/Heartbeat/
 * LeaveGroup, OffsetCommit/OffsetFetch, CreateTopics, SaslHandshake/SaslAuthenticate for
 * PLAIN and SCRAM-SHA-256/512, over plaintext and TLS) that version
 * is above the ones KIP-896 removed. test/transport/kafka*.test.ts exercise
 * each of them against this broker, so Kafka 3.9 is not needed.
 *
 * Environment: THOTH_KAFKA_VERSION (default below), THOTH_KAFKA_CACHE (default
 * .cache/kafka in the repository), KAFKA_PORT (default: a free port),
 * THOTH_KAFKA_STATE (state file of `start`/`stop`, default <cache>/broker.json),
 * THOTH_KAFKA_JAVA_OPTS (JVM options of the broker, default -Xms256m -Xmx512m -XX:+UseSerialGC),
 * THOTH_KAFKA_INITIAL_REBALANCE_DELAY_MS (group.initial.rebalance.delay.ms, default 0 here; a stock
 * broker's is 3000, which a new consumer group waits before its first assignment).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KAFKA_VERSION = process.env.THOTH_KAFKA_VERSION || '4.1.1';
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 20_000;

export function cacheDir(env = process.env) {
  return resolve(env.THOTH_KAFKA_CACHE || join(REPO, '.cache', 'kafka'));
}

function libsDir(env = process.env) {
  return join(cacheDir(env), KAFKA_VERSION, 'libs');
}

function stateFile(env = process.env) {
  return resolve(env.THOTH_KAFKA_STATE || join(cacheDir(env), 'broker.json'));
}

const say = (text) => process.stderr.write(`kafka: ${text}\n`);

/** Resolves org.apache.kafka:kafka_2.13 and its runtime dependencies into the cache, once. */
/** Runs a quiet, non-interactive Maven goal; its output is only worth reading when it failed (quiet mode still prints colour resets). */
export function maven(args, options = {}) {
  const mvn = spawnSync('mvn', ['-q', '-B', '-ntp', '-Dstyle.color=never', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    ...options,
  });
  if (mvn.error) throw new Error(`cannot run mvn (is Maven installed?): ${mvn.error.message}`);
  if (mvn.status !== 0)
    throw new Error(`mvn ${args.find((a) => a.startsWith('dependency:'))} failed with exit ${mvn.status}:\n${mvn.stdout}${mvn.stderr}`);
}

export function fetchKafka(env = process.env) {
  const libs = libsDir(env);
  if (existsSync(join(libs, '.complete'))) return libs;
  const work = join(cacheDir(env), KAFKA_VERSION);
  mkdirSync(work, { recursive: true });
  // A throwaway project whose only purpose is to name the broker's artifacts;
  // log4j-core + slf4j binding give the broker a logger (Kafka's own
  // distribution ships these in libs/ too).
  writeFileSync(
    join(work, 'pom.xml'),
    `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>thoth.local</groupId>
  <artifactId>kafka-broker-libs</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.24.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.24.3</version></dependency>
  </dependencies>
</project>
`,
  );
  rmSync(libs, { recursive: true, force: true });
  say(`fetching Kafka ${KAFKA_VERSION} jars with Maven into ${libs}`);
  maven(['-f', join(work, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`, '-DincludeScope=runtime']);
  writeFileSync(join(libs, '.complete'), `${KAFKA_VERSION}\n`);
  say(`fetched ${readdirSync(libs).filter((f) => f.endsWith('.jar')).length} jars`);
  return libs;
}

/**
 * `count` distinct free loopback ports, below the kernel's range of ephemeral ports: a broker killed and
 * started again (restartKafka) binds the same ports, and one from that range can meanwhile be taken as the
 * local port of any outgoing connection on the machine (a restart failed so: "Address already in use").
 * All are held open until every one is chosen, so none repeats.
 */
async function freePorts(count) {
  const low = ephemeralPortsStart();
  const floor = Math.min(10_000, low - 1_000);
  const servers = [];
  try {
    for (let tries = 0; servers.length < count; tries += 1) {
      if (tries > 1_000) throw new Error(`no free loopback port between ${floor} and ${low}`);
      const port = floor + Math.floor(Math.random() * (low - floor));
      const server = createServer();
      const bound = await new Promise((resolveListen) => {
        server.once('error', () => resolveListen(false));
        server.listen(port, '127.0.0.1', () => resolveListen(true));
      });
      if (bound) servers.push(server);
    }
    return servers.map((server) => server.address().port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolveClose) => server.close(() => resolveClose()))));
  }
}

/** The first port the kernel hands out to outgoing connections (Linux's default 32768 where it cannot be read). */
function ephemeralPortsStart() {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 2_000 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

/**
 * The listeners a broker serves besides PLAINTEXT (which the readiness check and inter-broker traffic use):
 * SASL_PLAINTEXT with `saslPort`; SSL (server certificate only) and MTLS (client certificate required) with
 * `tls`; SASL_SSL with both.
 */
function extraListeners({ saslPort, sslPort, mtlsPort, saslSslPort }) {
  return [
    saslPort && `SASL_PLAINTEXT://127.0.0.1:${saslPort}`,
    sslPort && `SSL://127.0.0.1:${sslPort}`,
    mtlsPort && `MTLS://127.0.0.1:${mtlsPort}`,
    saslSslPort && `SASL_SSL://127.0.0.1:${saslSslPort}`,
  ].filter(Boolean);
}

/** server.properties: PLAINTEXT and CONTROLLER always, plus the listeners of extraListeners for tests of the client's security settings. */
function serverProperties({ listeners, users, scramUsers, tls, logDirs, authorizer, initialRebalanceDelayMs }) {
  const { port, controllerPort, saslPort, saslSslPort } = listeners;
  const extra = extraListeners(listeners)
    .map((l) => `,${l}`)
    .join('');
  const saslListenerNames = [saslPort && 'sasl_plaintext', saslSslPort && 'sasl_ssl'].filter(Boolean);
  const sasl = saslListenerNames.length === 0 ? [] : saslListener(users, scramUsers, saslListenerNames);
  return [
    'node.id=1',
    'process.roles=broker,controller',
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}${extra}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}${extra}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,MTLS:SSL,SASL_SSL:SASL_SSL',
    ...sasl,
    ...(tls ? tlsProperties(tls) : []),
    // ACLs enforced (tests of refused rights): the PLAINTEXT and CONTROLLER listeners' ANONYMOUS principal is the
    // super user (the broker's own traffic, the readiness check, a test's admin), every SASL user gets what ACLs grant.
    ...(authorizer ? ['authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'super.users=User:ANONYMOUS'] : []),
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `log.dirs=${logDirs}`,
    'num.partitions=1',
    'auto.create.topics.enable=true',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    `group.initial.rebalance.delay.ms=${initialRebalanceDelayMs}`,
    'num.network.threads=2',
    'num.io.threads=2',
    'log.segment.bytes=104857600',
    // The log cleaner looks for work every second (15 s by default): tests of compacted topics see it done soon.
    'log.cleaner.backoff.ms=1000',
    '',
  ].join('\n');
}

const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** PLAIN for `users` (passwords in the JAAS line), SCRAM-SHA-256/512 for `scramUsers` (credentials live in the cluster metadata). */
function saslListener(users, scramUsers, listenerNames) {
  const mechanisms = [...(users ? ['PLAIN'] : []), ...(scramUsers ? SCRAM_MECHANISMS : [])];
  const lines = [`sasl.enabled.mechanisms=${mechanisms.join(',')}`];
  for (const listener of listenerNames) {
    if (users) {
      const plainUsers = Object.entries(users)
        .map(([name, password]) => `user_${name}="${password}"`)
        .join(' ');
      lines.push(
        `listener.name.${listener}.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`,
      );
    }
    // Without a (credential-less) SCRAM login module per listener and mechanism the broker refuses to start
    // ("Could not find a 'KafkaServer' or 'sasl_plaintext.KafkaServer' entry in the JAAS configuration").
    if (scramUsers) {
      for (const mechanism of SCRAM_MECHANISMS) {
        lines.push(
          `listener.name.${listener}.${mechanism.toLowerCase()}.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`,
        );
      }
    }
  }
  return lines;
}

/**
 * PEM stores (KIP-651): a file-based PEM key store holds the key and its certificate chain in one file and
 * needs ssl.key.password (Kafka refuses an unencrypted key there); the trust store (the CA that signs
 * client certificates) is a PEM file of certificates. Only the MTLS listener requires client certificates.
 */
function tlsProperties(tls) {
  return [
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${tls.keystore}`,
    `ssl.key.password=${tls.keyPassword}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${resolve(tls.ca)}`,
    'ssl.client.auth=none',
    'listener.name.mtls.ssl.client.auth=required',
  ];
}

/** StorageTool's --add-scram arguments: each user under both SCRAM mechanisms (its syntax has no quoting, so names and passwords stay simple). */
function scramArguments(scramUsers = {}) {
  return Object.entries(scramUsers).flatMap(([name, password]) => {
    if (!/^[\w.@-]+$/.test(name) || !/^[\w.@-]+$/.test(password)) {
      throw new Error(`SCRAM user "${name}": names and passwords may only use letters, digits and _ . @ -`);
    }
    return SCRAM_MECHANISMS.flatMap((mechanism) => ['--add-scram', `${mechanism}=[name=${name},password=${password}]`]);
  });
}

const LOG4J2 = `status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka
logger.kafka.level = warn
logger.apache.name = org.apache.kafka
logger.apache.level = warn
logger.started.name = kafka.server.KafkaRaftServer
logger.started.level = info
`;

/**
 * `quick` (the one-shot storage format) trades peak speed for start-up (C1 JIT only). The broker keeps the
 * full JIT so that throughput benchmarks measure clients, not a handicapped broker; the serial GC uses
 * fewer threads on a 2-core machine. THOTH_KAFKA_JAVA_OPTS replaces the broker's tuning.
 */
function java(libs, args, options, { quick = false } = {}) {
  const brokerTuning = process.env.THOTH_KAFKA_JAVA_OPTS?.split(/\s+/).filter(Boolean) ?? ['-Xms256m', '-Xmx512m', '-XX:+UseSerialGC'];
  const tuning = quick ? ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xmx256m'] : brokerTuning;
  return spawn('java', [...tuning, '-Djava.awt.headless=true', '-cp', join(libs, '*'), ...args], options);
}

function runJava(libs, args, logFile) {
  return new Promise((resolveRun, reject) => {
    const fd = openSync(logFile, 'a');
    const child = java(libs, args, { stdio: ['ignore', fd, fd] }, { quick: true });
    child.once('error', (error) => reject(new Error(`cannot run java (is Java 17 installed?): ${error.message}`)));
    child.once('exit', (code) => {
      closeSync(fd);
      resolveRun(code);
    });
  });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function tail(file, lines = 40) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** True once the broker answers a metadata request (kafkajs admin), which needs the controller to be up too. */
async function answersMetadata(bootstrap) {
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({
    clientId: 'thoth-kafka-script',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * Formats a fresh data directory and starts the broker detached. Resolves with
 * { bootstrap, pid, port, dir, logFile, startedInMs } once it serves metadata.
 * `saslUsers` ({name: password}) adds a SASL_PLAINTEXT listener (`saslBootstrap`)
 * accepting those users with SASL PLAIN; `scramUsers` ({name: password}) adds
 * the same listener accepting those users with SCRAM-SHA-256 and SCRAM-SHA-512
 * (written into the cluster metadata when the storage is formatted).
 * `tls` ({ ca, certificate, key, keyPassword }: PEM files, the key PKCS#8 and
 * encrypted) adds an SSL listener (`sslBootstrap`), an SSL listener that
 * requires a client certificate signed by `ca` (`mtlsBootstrap`) and, with
 * SASL users, a SASL_SSL listener (`saslSslBootstrap`).
 * `authorizer` enforces ACLs (StandardAuthorizer): the SASL users get only what
 * ACLs grant them; the plaintext listener stays a super user's, to grant them.
 * `initialRebalanceDelayMs` sets group.initial.rebalance.delay.ms (default: the environment's, else 0).
 * `stopWithProcess` stops the broker when this process dies, even by SIGKILL
 * (for test runs; `start` leaves it running).
 */
export async function startKafka(env = process.env, options = {}) {
  const libs = fetchKafka(env);
  // Bad users or unreadable TLS files fail here, before any directory or process exists.
  const scramArgs = scramArguments(options.scramUsers);
  const keystorePem = options.tls
    ? `${readFileSync(options.tls.key, 'utf8').trimEnd()}\n${readFileSync(options.tls.certificate, 'utf8')}`
    : undefined;
  const began = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return { ...(await startOnce(env, options, { libs, scramArgs, keystorePem })), startedInMs: Date.now() - began };
    } catch (error) {
      // A port chosen free can be taken (often as the local end of some client's connection) before the
      // broker binds it; on a busy test machine that happens, and new ports fix it.
      if (!error.portTaken || attempt === 3) throw error;
      say(`a port was taken before the broker bound it; starting again on other ports (attempt ${attempt + 1})`);
    }
  }
}

/** group.initial.rebalance.delay.ms: the option, else THOTH_KAFKA_INITIAL_REBALANCE_DELAY_MS, else 0 (tests need no wait). */
function rebalanceDelay(env, option) {
  const value = option ?? (env.THOTH_KAFKA_INITIAL_REBALANCE_DELAY_MS || 0);
  if (!Number.isSafeInteger(Number(value)) || Number(value) < 0)
    throw new Error(`THOTH_KAFKA_INITIAL_REBALANCE_DELAY_MS: must be a whole number of milliseconds, 0 or more (got ${value})`);
  return Number(value);
}

async function startOnce(
  env,
  { saslUsers, scramUsers, tls, authorizer = false, stopWithProcess = false, initialRebalanceDelayMs },
  { libs, scramArgs, keystorePem },
) {
  const dir = mkdtempSync(join(tmpdir(), 'thoth-kafka-'));
  const logFile = join(dir, 'broker.log');
  const wantsSasl = Boolean(saslUsers || scramUsers);
  const ports = await freePorts(6);
  const listeners = {
    port: env.KAFKA_PORT ? Number(env.KAFKA_PORT) : ports[0],
    controllerPort: ports[1],
    saslPort: wantsSasl ? ports[2] : undefined,
    sslPort: tls ? ports[3] : undefined,
    mtlsPort: tls ? ports[4] : undefined,
    saslSslPort: tls && wantsSasl ? ports[5] : undefined,
  };
  const { port, saslPort, sslPort, mtlsPort, saslSslPort } = listeners;
  const brokerTls = tls ? { ...tls, keystore: join(dir, 'keystore.pem') } : undefined;
  // One PEM file with the encrypted key and then its certificate chain, as the file-based PEM key store wants.
  if (brokerTls) writeFileSync(brokerTls.keystore, keystorePem, { mode: 0o600 });
  const props = join(dir, 'server.properties');
  writeFileSync(
    props,
    serverProperties({
      listeners,
      users: saslUsers,
      scramUsers,
      tls: brokerTls,
      logDirs: join(dir, 'data'),
      authorizer,
      initialRebalanceDelayMs: rebalanceDelay(env, initialRebalanceDelayMs),
    }),
    { mode: 0o600 },
  );
  writeFileSync(join(dir, 'log4j2.properties'), LOG4J2);
  const log4j = `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`;

  // A Kafka cluster id is 16 random bytes in base64url; one in 64 starts with '-', which the storage tool's
  // argument parser reads as an option (a flaky "expected one argument"). Kafka's own random-uuid skips those too.
  let clusterId;
  do clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-'));
  const formatted = await runJava(
    libs,
    [log4j, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props, '--ignore-formatted', ...scramArgs],
    logFile,
  );
  if (formatted !== 0) {
    const log = tail(logFile);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`formatting the broker's storage failed (exit ${formatted}):\n${log}`);
  }

  const fd = openSync(logFile, 'a');
  const child = java(libs, [log4j, 'kafka.Kafka', props], { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  child.unref();
  /** @type {{ bootstrap: string, pid: number | undefined, port: number, dir: string, logFile: string, version: string, saslBootstrap?: string, sslBootstrap?: string, mtlsBootstrap?: string, saslSslBootstrap?: string }} */
  const broker = { bootstrap: `127.0.0.1:${port}`, pid: child.pid, port, dir, logFile, version: KAFKA_VERSION };
  if (saslPort) broker.saslBootstrap = `127.0.0.1:${saslPort}`;
  if (sslPort) broker.sslBootstrap = `127.0.0.1:${sslPort}`;
  if (mtlsPort) broker.mtlsBootstrap = `127.0.0.1:${mtlsPort}`;
  if (saslSslPort) broker.saslSslBootstrap = `127.0.0.1:${saslSslPort}`;
  if (stopWithProcess) watchOwner(process.pid, broker);

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await answersMetadata(broker.bootstrap))) {
    // A broker that cannot bind a port takes half a minute to shut down; its log says so at once.
    const log = tail(logFile);
    const portTaken = /Address already in use/.test(log);
    if (portTaken || !alive(child.pid) || Date.now() > deadline) {
      const timedOut = alive(child.pid) && !portTaken;
      await stopKafka(broker);
      const error = new Error(
        `the broker did not start${timedOut ? ` within ${READY_TIMEOUT_MS / 1000}s` : ''}; its log ends with:\n${log}`,
      );
      error.portTaken = portTaken;
      throw error;
    }
    await sleep(250);
  }
  return broker;
}

/**
 * A small detached watchdog: once `ownerPid` is gone it stops the broker and
 * removes its directory, so a test run killed hard leaves no broker behind
 * on a shared machine. It exits by itself when the broker stops first.
 */
function watchOwner(ownerPid, broker) {
  const watchdog = `
    const [owner, pid, dir] = [${ownerPid}, ${broker.pid}, ${JSON.stringify(broker.dir)}];
    const alive = (p) => { try { process.kill(p, 0); return true; } catch { return false; } };
    const timer = setInterval(() => {
      if (!alive(pid)) return clearInterval(timer);
      if (alive(owner)) return;
      clearInterval(timer);
      try { process.kill(pid, 'SIGTERM'); } catch {}
      setTimeout(() => {
        if (alive(pid)) try { process.kill(pid, 'SIGKILL'); } catch {}
        require('node:fs').rmSync(dir, { recursive: true, force: true });
      }, 15000);
    }, 1000);`;
  spawn(process.execPath, ['-e', watchdog], { detached: true, stdio: 'ignore' }).unref();
}

/**
 * Kills a broker started by startKafka at once (SIGKILL, as a crash or an OOM kill would) and keeps
 * its directory, so that restartKafka brings the same broker back: same port, same data.
 */
export async function killKafka(broker) {
  if (!alive(broker.pid)) return;
  try {
    process.kill(-broker.pid, 'SIGKILL');
  } catch {
    process.kill(broker.pid, 'SIGKILL');
  }
  while (alive(broker.pid)) await sleep(50);
}

/** Starts a killed broker again from its own directory (same listeners, same log); resolves once it serves metadata. */
export async function restartKafka(broker, env = process.env, { stopWithProcess = false } = {}) {
  const libs = fetchKafka(env);
  const props = join(broker.dir, 'server.properties');
  const log4j = `-Dlog4j2.configurationFile=${join(broker.dir, 'log4j2.properties')}`;
  const fd = openSync(broker.logFile, 'a');
  const child = java(libs, [log4j, 'kafka.Kafka', props], { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  child.unref();
  broker.pid = child.pid;
  if (stopWithProcess) watchOwner(process.pid, broker);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await answersMetadata(broker.bootstrap))) {
    if (!alive(child.pid) || Date.now() > deadline)
      throw new Error(`the broker did not come back; its log ends with:\n${tail(broker.logFile)}`);
    await sleep(250);
  }
  return broker;
}

/** Stops a broker started by startKafka (SIGTERM, then SIGKILL after a grace period) and removes its directory. */
export async function stopKafka(broker) {
  if (alive(broker.pid)) {
    try {
      process.kill(-broker.pid, 'SIGTERM');
    } catch {
      process.kill(broker.pid, 'SIGTERM');
    }
    const deadline = Date.now() + STOP_GRACE_MS;
    while (alive(broker.pid) && Date.now() < deadline) await sleep(100);
    if (alive(broker.pid)) process.kill(broker.pid, 'SIGKILL');
  }
  rmSync(broker.dir, { recursive: true, force: true });
}

/**
 * A broker crash: SIGKILL (no clean shutdown, whatever it had not flushed is recovered from its log on
 * start), then the broker started again on the same ports and data directory; resolves once it serves
 * metadata again. `downMs` keeps it down that long first. The broker object gets the new pid.
 */
export async function crashAndRestartKafka(broker, env = process.env, { downMs = 0, stopWithProcess = false } = {}) {
  if (alive(broker.pid)) {
    try {
      process.kill(-broker.pid, 'SIGKILL');
    } catch {
      process.kill(broker.pid, 'SIGKILL');
    }
    while (alive(broker.pid)) await sleep(50);
  }
  if (downMs > 0) await sleep(downMs);
  return restartKafka(broker, env, { stopWithProcess });
}

function readState(env) {
  try {
    return JSON.parse(readFileSync(stateFile(env), 'utf8'));
  } catch {
    return undefined;
  }
}

async function main(command) {
  const env = process.env;
  switch (command) {
    case 'fetch':
      say(`jars in ${fetchKafka(env)}`);
      return 0;
    case 'start': {
      const running = readState(env);
      if (running && alive(running.pid)) {
        say(`already running (pid ${running.pid}); stop it with: node scripts/kafka.mjs stop`);
        process.stdout.write(`KAFKA_BOOTSTRAP_SERVERS=${running.bootstrap}\n`);
        return 0;
      }
      const broker = await startKafka(env);
      mkdirSync(dirname(stateFile(env)), { recursive: true });
      writeFileSync(stateFile(env), `${JSON.stringify(broker, null, 2)}\n`);
      say(
        `Kafka ${KAFKA_VERSION} serving on ${broker.bootstrap} (pid ${broker.pid}, started in ${(broker.startedInMs / 1000).toFixed(1)}s, log ${broker.logFile})`,
      );
      process.stdout.write(`KAFKA_BOOTSTRAP_SERVERS=${broker.bootstrap}\n`);
      return 0;
    }
    case 'status': {
      const running = readState(env);
      if (!running || !alive(running.pid)) {
        say('no broker running');
        return 1;
      }
      process.stdout.write(`KAFKA_BOOTSTRAP_SERVERS=${running.bootstrap}\n`);
      return 0;
    }
    case 'stop': {
      const running = readState(env);
      if (!running) {
        say('no broker running');
        return 0;
      }
      await stopKafka(running);
      rmSync(stateFile(env), { force: true });
      say(`stopped (pid ${running.pid})`);
      return 0;
    }
    default:
      process.stderr.write('usage: node scripts/kafka.mjs fetch|start|stop|status\n');
      return 2;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv[2]).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      say(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    },
  );
}
