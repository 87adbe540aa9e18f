import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSettings } from '../../src/config/settings.js';
import { UsageError } from '../../src/core/errors.js';

describe('readSettings', () => {
  it('places the cache by --db, else THOTH_HOME, else the home folder', () => {
    expect(readSettings({ THOTH_HOME: '/srv/thoth' }, { db: '/tmp/x.db' }).cachePath).toBe('/tmp/x.db');
    expect(readSettings({ THOTH_HOME: '/srv/thoth' }).cachePath).toBe('/srv/thoth/thoth.db');
    expect(readSettings({}).cachePath).toMatch(/\.thoth\/thoth\.db$/);
  });

  it('chooses Kafka from --broker or KAFKA_BOOTSTRAP_SERVERS, else the embedded broker in the cache file', () => {
    expect(readSettings({ KAFKA_BOOTSTRAP_SERVERS: 'a:9092, b:9093' }).broker).toEqual({ kind: 'kafka', bootstrap: ['a:9092', 'b:9093'] });
    expect(readSettings({ KAFKA_BOOTSTRAP_SERVERS: 'a:9092' }, { broker: 'embedded', db: '/tmp/x.db' }).broker).toEqual({
      kind: 'embedded',
      path: '/tmp/x.db',
    });
    expect(readSettings({}, { broker: 'kafka://k:1' }).broker).toEqual({ kind: 'kafka', bootstrap: ['k:1'] });
    // kcat's habit: -b host:port[,host:port] without a scheme.
    expect(readSettings({}, { broker: 'k:1,[::1]:9093' }).broker).toEqual({ kind: 'kafka', bootstrap: ['k:1', '[::1]:9093'] });
    expect(() => readSettings({}, { broker: 'tcp://x' }).broker).toThrow('--broker must be "embedded" or host:port[,host:port...]');
    expect(() => readSettings({}, { broker: 'k' }).broker).toThrow('--broker: each bootstrap server must be host:port, got "k"');
  });

  it('an empty THOTH_DEPLOYMENT_NAME names topics as thoth-messaging does (".<base>"), with a warning', () => {
    const settings = readSettings({ THOTH_DEPLOYMENT_NAME: '' });
    expect(settings.deploymentName).toBe('');
    expect(settings.warnings).toEqual([expect.stringContaining('THOTH_DEPLOYMENT_NAME is set but empty')]);
    expect(readSettings({}).deploymentName).toBeUndefined();
    expect(readSettings({}).warnings).toEqual([]);
    expect(readSettings({ THOTH_DEPLOYMENT_NAME: '' }, { deploymentName: 'prod' }).warnings).toEqual([]);
  });

  it('parses THOTH_SOLVERS once for every command: the SPEC default when unset, a usage error naming it when bad', () => {
    expect(readSettings({}).solvers).toEqual(['solver-rhel-8-py38', 'solver-fedora-34-py39', 'solver-fedora-35-py310']);
    expect(readSettings({ THOTH_SOLVERS: 'solver-ubi-9-py311, solver-ubi-9-py311' }).solvers).toEqual(['solver-ubi-9-py311']);
    expect(() => readSettings({ THOTH_SOLVERS: 'rhel8' }).solvers).toThrow(UsageError);
  });

  it('checks the deployment name against the topic rules, naming where it came from', () => {
    expect(readSettings({ THOTH_DEPLOYMENT_NAME: 'staging' }).deploymentName).toBe('staging');
    expect(readSettings({ THOTH_DEPLOYMENT_NAME: 'staging' }, { deploymentName: 'prod' }).deploymentName).toBe('prod');
    expect(() => readSettings({ THOTH_DEPLOYMENT_NAME: 'a b' }).deploymentName).toThrow(
      /^THOTH_DEPLOYMENT_NAME "a b" cannot prefix a topic/,
    );
  });

  it('parses each value when first read, so a bad setting fails only what uses it', () => {
    const settings = readSettings({ KAFKA_MESSAGE_MAX_BYTES: '1MB', THOTH_SOLVERS: 'solver-ubi-9-py311' });
    expect(settings.solvers).toEqual(['solver-ubi-9-py311']);
    expect(() => settings.maxMessageBytes).toThrow('KAFKA_MESSAGE_MAX_BYTES must be a positive whole number of bytes, got "1MB"');
    expect(readSettings({}).maxMessageBytes).toBe(1024 * 1024);
  });

  it('reads namespaces, switches, limits and colour', () => {
    const settings = readSettings(
      {
        THOTH_MIDDLETIER_NAMESPACE: 'mt',
        ARGO_PENDING_WORKFLOW_LIMIT: '20',
        KAFKA_CONSUMER_AUTO_OFFSET_RESET: 'LATEST',
        NO_COLOR: '1',
        KUBERNETES_SERVICE_HOST: '10.0.0.1',
      },
      { color: true },
    );
    expect(settings.namespaces).toEqual({ middletier: 'mt', backend: undefined });
    expect(settings.pendingLimit).toBe(20);
    expect(settings.offsetReset).toBe('latest');
    expect(settings.color).toBe(false);
    expect(settings.inKubernetes).toBe(true);
    expect(readSettings({}, { color: false }).color).toBe(false);
    expect(readSettings({}).color).toBe(true);
  });

  it('knows the secret values to keep out of what is printed', () => {
    expect(readSettings({ KAFKA_SASL_PASSWORD: 'hunter2-secret', KAFKA_CLIENT_ID: 'thoth', API_TOKEN: 'abc' }).secrets).toEqual([
      'hunter2-secret',
    ]);
  });
});

describe('readSettings with a context', () => {
  const file = () => {
    const dir = mkdtempSync(join(tmpdir(), 'thoth-settings-'));
    const path = join(dir, 'config.yaml');
    writeFileSync(
      path,
      [
        'current-context: staging',
        'contexts:',
        '  staging:',
        '    broker: k1:9092,k2:9092',
        '    cache: /srv/staging.db',
        '    solvers: [solver-rhel-9-py39, solver-fedora-36-py311]',
        '    kube-context: staging-cluster',
        '    namespaces: { middletier: mt, backend: be }',
        '  laptop:',
        '    broker: embedded',
        '',
      ].join('\n'),
    );
    return path;
  };

  it('takes what the environment does not set from the context (THOTH_CONFIG names the file)', () => {
    const s = readSettings({ THOTH_CONFIG: file() });
    expect(s.context).toMatchObject({ name: 'staging', chosenBy: expect.stringMatching(/^current-context of /) });
    expect(s.broker).toEqual({ kind: 'kafka', bootstrap: ['k1:9092', 'k2:9092'] });
    expect(s.cachePath).toBe('/srv/staging.db');
    expect(s.solvers).toEqual(['solver-rhel-9-py39', 'solver-fedora-36-py311']);
    expect(s.kube.context).toBe('staging-cluster');
    expect(s.namespaces).toEqual({ middletier: 'mt', backend: 'be' });
  });

  it('lets the environment and the flags win, and chooses another context by flag or THOTH_CONTEXT', () => {
    const path = file();
    expect(readSettings({ THOTH_CONFIG: path, THOTH_SOLVERS: 'solver-rhel-8-py36' }).solvers).toEqual(['solver-rhel-8-py36']);
    expect(readSettings({ THOTH_CONFIG: path }, { db: '/tmp/flag.db' }).cachePath).toBe('/tmp/flag.db');
    expect(readSettings({ THOTH_CONFIG: path, THOTH_CONTEXT: 'laptop', HOME: '/home/u' }).broker).toEqual({
      kind: 'embedded',
      path: '/home/u/.thoth/thoth.db',
    });
    expect(readSettings({ THOTH_CONFIG: path, THOTH_CONTEXT: 'laptop' }, { thothContext: 'staging' }).context?.name).toBe('staging');
    expect(readSettings({ THOTH_CONFIG: join(tmpdir(), 'none', 'config.yaml') }).context).toBeUndefined();
  });
});
