/**
 * The cluster's credentials, made fresh for every start in <state>/pki (mode 0700, keys 0600):
 * an openssl CA, the API server's serving certificate (127.0.0.1, localhost), the service-account
 * signing key, and a static token file with one identity per part that talks to the API server:
 *
 *   admin       thoth-loopback-admin in system:masters (the admin kubeconfig)
 *   no-rights   thoth-loopback-nobody, authenticated and nothing else (RBAC grants it nothing)
 *   scheduler   system:kube-scheduler (binds pods, with the bootstrap role a real scheduler has)
 *   node        system:node:<node> in system:nodes (the kubelet, under the Node authorizer)
 *   accounts    system:kube-controller-manager (its ServiceAccount controller, as kube-controller-manager
 *               runs it without --use-service-account-credentials)
 *
 * Tokens live only in files; nothing here prints one.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const NODE_NAME = 'thoth-loopback-node';
export const CONTEXT = 'thoth-loopback';

function openssl(args, cwd) {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    if (error.code === 'ENOENT') throw new Error('the test cluster needs the openssl command on PATH to make its certificates');
    throw new Error(`openssl ${args[0]} failed: ${error.stderr?.toString() ?? error.message}`);
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Makes <dir>/pki and returns the paths and tokens start needs. */
export function makePki(dir) {
  const pki = join(dir, 'pki');
  mkdirSync(pki, { recursive: true, mode: 0o700 });
  openssl(['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/CN=thoth-loopback-ca'], pki);
  openssl(['req', '-new', ...EC, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver'], pki);
  writeFileSync(
    join(pki, 'server.ext'),
    [
      'basicConstraints = CA:FALSE',
      'keyUsage = digitalSignature, keyEncipherment',
      'extendedKeyUsage = serverAuth',
      'subjectAltName = IP:127.0.0.1, DNS:localhost, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc',
      '',
    ].join('\n'),
  );
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '365', '-extfile', 'server.ext', '-out', 'server.crt'], pki);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'sa.key'], pki);
  openssl(['ec', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], pki);

  const tokens = {
    admin: { token: newToken(), user: 'thoth-loopback-admin', groups: ['system:masters'] },
    noRights: { token: newToken(), user: 'thoth-loopback-nobody', groups: [] },
    scheduler: { token: newToken(), user: 'system:kube-scheduler', groups: [] },
    node: { token: newToken(), user: `system:node:${NODE_NAME}`, groups: ['system:nodes'] },
    accounts: { token: newToken(), user: 'system:kube-controller-manager', groups: [] },
  };
  const csv = Object.values(tokens).map(({ token, user, groups }, i) => `${token},${user},uid-${i}${groups.length ? `,"${groups.join(',')}"` : ''}`);
  writeFileSync(join(pki, 'tokens.csv'), `${csv.join('\n')}\n`, { mode: 0o600 });
  for (const key of ['ca.key', 'server.key', 'sa.key']) chmodSync(join(pki, key), 0o600);
  return {
    ca: join(pki, 'ca.crt'),
    serverCert: join(pki, 'server.crt'),
    serverKey: join(pki, 'server.key'),
    saKey: join(pki, 'sa.key'),
    saPub: join(pki, 'sa.pub'),
    tokenFile: join(pki, 'tokens.csv'),
    tokens,
  };
}

function newToken() {
  return randomBytes(24).toString('hex');
}

/** A kubeconfig for `server` trusting `caFile` (embedded), authenticating with `token`; written 0600. */
export function writeKubeconfig(path, { server, caFile, user, token, namespace }) {
  const ca = readFileSync(caFile).toString('base64');
  const text = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${CONTEXT}`,
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${ca}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    token: ${token}`,
    'contexts:',
    `- name: ${CONTEXT}`,
    '  context:',
    `    cluster: ${CONTEXT}`,
    `    user: ${user}`,
    ...(namespace ? [`    namespace: ${namespace}`] : []),
    `current-context: ${CONTEXT}`,
    '',
  ].join('\n');
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}
