import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runThoth } from '../support/cli.js';

const INDEX = 'https://index.example/simple';

/** A fresh home with a configuration file of two embedded contexts and one Kafka context. */
function home(extra = '') {
  const dir = mkdtempSync(join(tmpdir(), 'thoth-config-'));
  mkdirSync(join(dir, '.config', 'thoth'), { recursive: true });
  const file = join(dir, '.config', 'thoth', 'config.yaml');
  writeFileSync(
    file,
    `# kept when use-context rewrites the file
current-context: laptop
contexts:
  laptop:
    broker: embedded
    cache: ~/laptop.db
    index-urls: [${INDEX}]
  other:
    broker: embedded
    cache: ~/other.db
    deployment-name: other
  staging:
    broker: 127.0.0.1:9
    deployment-name: staging
    kube-context: staging-cluster
    kafka:
      security-protocol: SASL_PLAINTEXT
      sasl-username: thoth
      sasl-password: { env: STAGING_KAFKA_PASSWORD }
${extra}`,
  );
  return { dir, file, env: cleanEnv({ HOME: dir, STAGING_KAFKA_PASSWORD: 'pw-from-the-environment' }) };
}

describe('thoth config', () => {
  it('lists the contexts, marks the current one, switches, and says which is in use', async () => {
    const h = home();
    const listed = await runThoth(['config', 'get-contexts', '-o', 'json'], { env: h.env });
    expect(JSON.parse(listed.stdout)).toEqual([
      { current: true, name: 'laptop', broker: 'embedded', deployment_name: null, kube_context: null },
      { current: false, name: 'other', broker: 'embedded', deployment_name: 'other', kube_context: null },
      { current: false, name: 'staging', broker: '127.0.0.1:9', deployment_name: 'staging', kube_context: 'staging-cluster' },
    ]);
    const table = await runThoth(['config', 'get-contexts'], { env: h.env, tty: true });
    expect(table.stdout.split('\n')[1]).toMatch(/^\* +laptop +embedded/);
    expect((await runThoth(['config', 'current-context'], { env: h.env })).stdout).toBe('laptop\n');

    const used = await runThoth(['config', 'use-context', 'other'], { env: h.env });
    expect(used.code).toBe(0);
    expect(used.stderr).toContain('switched to context "other"');
    expect(readFileSync(h.file, 'utf8')).toMatch(/^# kept when use-context rewrites the file\ncurrent-context: other\n/);
    expect((await runThoth(['config', 'current-context'], { env: h.env })).stdout).toBe('other\n');
    // For one command: the flag, then THOTH_CONTEXT.
    expect((await runThoth(['--thoth-context', 'staging', 'config', 'current-context'], { env: h.env })).stdout).toBe('staging\n');
    expect((await runThoth(['config', 'current-context'], { env: { ...h.env, THOTH_CONTEXT: 'laptop' } })).stdout).toBe('laptop\n');
  });

  it('refuses a context that does not exist, with the names and the nearest', async () => {
    const h = home();
    for (const args of [
      ['config', 'use-context', 'stagin'],
      ['--thoth-context', 'stagin', 'config', 'view'],
    ]) {
      const result = await runThoth(args, { env: h.env });
      expect(result).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr).toContain(`the context must be one of laptop, other, staging, got "stagin" (did you mean 'staging'?)`);
    }
    const none = await runThoth(['config', 'current-context'], { env: cleanEnv({ HOME: mkdtempSync(join(tmpdir(), 'thoth-none-')) }) });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no context is in use (no configuration file at');
  });

  it('view shows each value and its source, flag > environment > context > default, secrets masked', async () => {
    const h = home();
    const result = await runThoth(['--thoth-context', 'staging', '--deployment-name', 'flagged', 'config', 'view', '-o', 'json'], {
      env: { ...h.env, THOTH_SOLVERS: 'solver-rhel-9-py39' },
    });
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as Array<{ setting: string; value: string | null; source: string }>;
    const of = (setting: string) => rows.find((r) => r.setting === setting);
    expect(of('context')).toEqual({ setting: 'context', value: 'staging', source: '--thoth-context' });
    expect(of('deployment-name')).toEqual({ setting: 'deployment-name', value: 'flagged', source: '--deployment-name' });
    expect(of('solvers')).toEqual({ setting: 'solvers', value: 'solver-rhel-9-py39', source: 'env THOTH_SOLVERS' });
    expect(of('broker')).toEqual({ setting: 'broker', value: '127.0.0.1:9', source: 'context staging' });
    expect(of('kafka.sasl-password')).toEqual({ setting: 'kafka.sasl-password', value: '***', source: 'context staging' });
    expect(of('cache')).toEqual({ setting: 'cache', value: join(h.dir, '.thoth', 'thoth.db'), source: 'default' });
    expect(of('kube-context')).toEqual({ setting: 'kube-context', value: 'staging-cluster', source: 'context staging' });
    expect(result.stdout + result.stderr).not.toContain('pw-from-the-environment');
  });

  it('the context chooses the broker and the cache: what one context publishes the other does not see', async () => {
    const h = home();
    const published = await runThoth(['publish', 'unresolved-package', 'requests==2.25.1'], { env: h.env });
    expect(published.code).toBe(0);
    const tail = (context: string) =>
      runThoth(['--thoth-context', context, 'tail', 'unresolved-package', '--exit-at-end', '-o', 'json'], { env: h.env });
    const here = await tail('laptop');
    expect(JSON.parse(here.stdout)).toMatchObject([{ topic: 'thoth.investigator.unresolved-package', value: { index_url: INDEX } }]);
    expect(JSON.parse((await tail('other')).stdout)).toEqual([]);
    // The environment wins over the context.
    const overridden = await runThoth(['tail', 'unresolved-package', '--exit-at-end', '-o', 'json'], {
      env: { ...h.env, THOTH_DB: join(h.dir, 'other.db') },
    });
    expect(JSON.parse(overridden.stdout)).toEqual([]);
  });

  it('refuses a secret written in clear and an unknown key, naming the file and the key', async () => {
    const clear = home(`  leaky:\n    kafka:\n      sasl-password: hunter22hunter22\n`);
    const leaky = await runThoth(['--thoth-context', 'leaky', 'config', 'view'], { env: clear.env });
    expect(leaky.code).toBe(2);
    expect(leaky.stderr).toContain(
      `context leaky: kafka.sasl-password must be {env: VARIABLE} or {file: PATH}: a secret is never written in the configuration`,
    );
    expect(leaky.stderr).not.toContain('hunter22');
    const typo = home(`  typo:\n    brokers: 127.0.0.1:9092\n`);
    const result = await runThoth(['config', 'view'], { env: typo.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`context typo: a key must be one of broker,`);
    expect(result.stderr).toContain(`got "brokers" (did you mean 'broker'?)`);
  });

  it('reads a secret from a file', async () => {
    const h = home();
    const secretFile = join(h.dir, 'pw');
    writeFileSync(secretFile, 'pw-from-a-file\n');
    writeFileSync(h.file, readFileSync(h.file, 'utf8').replace('{ env: STAGING_KAFKA_PASSWORD }', `{ file: ${secretFile} }`));
    const view = await runThoth(['--thoth-context', 'staging', '-v', 'config', 'view', '-o', 'yaml'], { env: h.env });
    expect(view.code).toBe(0);
    expect(view.stdout).toContain('value: "***"');
    expect(view.stdout + view.stderr).not.toContain('pw-from-a-file');
  });
});
