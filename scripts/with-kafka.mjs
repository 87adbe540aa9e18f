#!/usr/bin/env node
/**
 * Runs a command with a Kafka broker: `node scripts/with-kafka.mjs vitest run`.
 *
 * When KAFKA_BOOTSTRAP_SERVERS is set, the command simply runs against that
 * broker. Otherwise a local single-node broker is fetched (once) and started
 * (scripts/kafka.mjs), the command runs with KAFKA_BOOTSTRAP_SERVERS pointing
 * at it, and the broker is stopped afterwards, also when the command fails or
 * the run is interrupted. Exits with the command's exit code.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KAFKA_VERSION, startKafka, stopKafka } from './kafka.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const say = (text) => process.stderr.write(`with-kafka: ${text}\n`);

function run(command, env) {
  return new Promise((resolveRun) => {
    // Like `npm run`, so that `vitest` resolves to the project's copy when called directly.
    const path = [join(REPO, 'node_modules', '.bin'), env.PATH ?? ''].join(delimiter);
    const child = spawn(command[0], command.slice(1), { stdio: 'inherit', env: { ...env, PATH: path } });
    let signals = 0;
    const forward = (signal) => {
      signals += 1;
      child.kill(signals > 1 ? 'SIGKILL' : signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.once('error', (error) => {
      say(`cannot run ${command[0]}: ${error.message}`);
      resolveRun(127);
    });
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolveRun(code ?? 128 + (constants.signals[signal] ?? 1));
    });
  });
}

async function main(command) {
  if (command.length === 0) {
    say('usage: node scripts/with-kafka.mjs <command> [args...]');
    return 2;
  }
  if (process.env.KAFKA_BOOTSTRAP_SERVERS) {
    say(`using the broker at KAFKA_BOOTSTRAP_SERVERS=${process.env.KAFKA_BOOTSTRAP_SERVERS}`);
    return run(command, process.env);
  }
  // A signal while the broker starts must still stop it: remember it and stop once start returns.
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let broker;
  try {
    broker = await startKafka(process.env, { stopWithProcess: true });
  } catch (error) {
    say(error instanceof Error ? error.message : String(error));
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  try {
    if (interrupted) return 130;
    say(`Kafka ${KAFKA_VERSION} started on ${broker.bootstrap} in ${(broker.startedInMs / 1000).toFixed(1)}s`);
    return await run(command, { ...process.env, KAFKA_BOOTSTRAP_SERVERS: broker.bootstrap });
  } finally {
    await stopKafka(broker);
    say('broker stopped');
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    say(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  },
);
