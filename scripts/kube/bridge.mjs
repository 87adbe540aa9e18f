#!/usr/bin/env node
/**
 * A byte forwarder: `node bridge.mjs LISTEN TARGET [READY_FILE]`, each `unix:/path` or
 * `tcp:127.0.0.1:PORT`; READY_FILE is created once it listens.
 *
 * Argo's workflow-controller runs in a network namespace that has only loopback, so it cannot
 * send a packet anywhere else. Two of these carry its API traffic out through a Unix socket
 * (a filesystem path is reachable from any network namespace):
 *
 *   netns:  controller -> tcp:127.0.0.1:<apiserver port> -> bridge -> unix:<state>/apiserver.sock
 *   host:   unix:<state>/apiserver.sock -> bridge -> tcp:127.0.0.1:<apiserver port> (kube-apiserver)
 *
 * TLS passes through untouched, so the controller verifies the API server's certificate itself.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

function endpoint(text) {
  const unix = /^unix:(.+)$/.exec(text);
  if (unix) return { path: unix[1] };
  const tcp = /^tcp:(127\.0\.0\.1|localhost):(\d+)$/.exec(text);
  if (tcp) return { host: tcp[1], port: Number(tcp[2]) };
  throw new Error(`not an endpoint (unix:/path or tcp:127.0.0.1:PORT): ${text}`);
}

const [listenText, targetText, readyFile] = process.argv.slice(2);
if (!listenText || !targetText) {
  process.stderr.write('usage: node bridge.mjs LISTEN TARGET   (each unix:/path or tcp:127.0.0.1:PORT)\n');
  process.exit(2);
}
const listen = endpoint(listenText);
const target = endpoint(targetText);

const server = createServer((client) => {
  const upstream = connect(target);
  client.pipe(upstream).pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
});
if (listen.path) rmSync(listen.path, { force: true });
server.listen(listen, () => {
  process.stderr.write(`bridge: ${listenText} -> ${targetText}\n`);
  if (readyFile) writeFileSync(readyFile, `${process.pid}\n`);
});
server.on('error', (error) => {
  process.stderr.write(`bridge: ${error.message}\n`);
  process.exit(1);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
