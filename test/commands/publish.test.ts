import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runThoth } from '../support/cli.js';
import { INDEX, lines, site, tempDir } from './publish-support.js';

const dry = (args: string[], env = cleanEnv({ THOTH_INDEX_URLS: INDEX })) => runThoth(['publish', ...args, '--dry-run'], { env });

describe('thoth publish --dry-run', () => {
  it('prints the exact body thoth-messaging would write, and sends nothing', async () => {
    const result = await dry(['unresolved-package', 'requests==2.25.1']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      '{"component_name": "thoth", "service_version": "0.1.0", "version": "v1", "package_name": "requests", "index_url": "https://index.example/simple", "package_version": "2.25.1", "solver": null}\n',
    );
    expect(result.stderr).toContain('would publish 1 message(s) to thoth.investigator.unresolved-package (key requests==2.25.1)');
    expect(result.stderr).not.toContain('broker:');
  });

  it('types --field values by the catalogue and fills defaults', async () => {
    const result = await dry(['update-provides-source-distro', 'Flask==2.0.1', '--field', 'value=false']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ package_name: 'Flask', package_version: '2.0.1', value: false, index_url: INDEX });
    expect(result.stderr).toContain('key flask==2.0.1');
    const trigger = await dry([
      'adviser-trigger',
      '--json',
      '{"recommendation_type": "latest", "count": 1}',
      '--field',
      'dev=true',
      '--field',
      'justification=[{"a": 1}]',
    ]);
    expect(JSON.parse(trigger.stdout)).toMatchObject({
      version: 'v5',
      recommendation_type: 'latest',
      dev: true,
      debug: false,
      count: 1,
      justification: [{ a: 1 }],
      limit: null,
    });
    expect(trigger.stderr).toContain('key none');
  });

  it('does not echo a password field unless --show-secrets', async () => {
    const args = [
      'build-analysis-trigger',
      '--field',
      'base_image=registry.example/thoth/app:1',
      '--field',
      'base_registry_password=hunter22-secret',
    ];
    const masked = await dry(args);
    expect(masked.code).toBe(0);
    expect(JSON.parse(masked.stdout)).toMatchObject({ base_registry_password: '***', output_registry_password: null });
    expect(masked.stdout + masked.stderr).not.toContain('hunter22-secret');
    expect(masked.stderr).toContain('--show-secrets');
    const shown = await dry([...args, '--show-secrets']);
    expect(JSON.parse(shown.stdout).base_registry_password).toBe('hunter22-secret');
  });

  it('sets nested model fields with a dotted name', async () => {
    const result = await dry([
      'kebechet-run-url-trigger',
      '--field',
      'metadata.package_name=requests',
      '--field',
      'metadata.message_justification=3',
    ]);
    expect(JSON.parse(result.stdout).metadata).toEqual({
      message_justification: 3,
      package_name: 'requests',
      package_version: null,
      package_index: null,
    });
  });

  it('sets the advice-run headers and an explicit key', async () => {
    const result = await dry([
      'unresolved-package',
      'requests==2.25.1',
      '--adviser-id',
      'adviser-1',
      '--recommendation-type',
      'stable',
      '--header',
      'trace=t1',
      '--key',
      'k',
    ]);
    expect(result.stderr).toContain('key k, headers trace=t1 thoth-adviser-id=adviser-1 thoth-recommendation-type=stable');
    const secret = await dry(['unresolved-package', 'requests', '--header', 'auth-token=s3cr3t-value']);
    expect(secret.stderr).toContain('headers auth-token=***');
    expect(secret.stderr).not.toContain('s3cr3t-value');
  });
});

describe('the default index', () => {
  const noIndex = (extra: NodeJS.ProcessEnv) =>
    cleanEnv({ HOME: tempDir('thoth-home-'), XDG_CONFIG_DIRS: tempDir('thoth-xdg-'), ...extra });
  const indexOf = async (env: NodeJS.ProcessEnv) => {
    const result = await dry(['missing-package', 'requests'], env);
    return result.code === 0 ? (JSON.parse(result.stdout).index_url as string) : result.stderr;
  };

  it('takes the first of THOTH_INDEX_URLS, else PIP_INDEX_URL', async () => {
    expect(
      await indexOf(
        noIndex({ THOTH_INDEX_URLS: 'https://a.example/simple,https://b.example/simple', PIP_INDEX_URL: 'https://c.example/simple' }),
      ),
    ).toBe('https://a.example/simple');
    expect(await indexOf(noIndex({ PIP_INDEX_URL: 'https://c.example/simple' }))).toBe('https://c.example/simple');
  });

  it("else pip's configuration files, the user file over PIP_CONFIG_FILE, [install] over [global]", async () => {
    const home = tempDir('thoth-home-');
    const explicit = join(home, 'explicit.conf');
    writeFileSync(explicit, '[global]\nindex-url = https://explicit.example/simple\n');
    expect(await indexOf(noIndex({ HOME: home, PIP_CONFIG_FILE: explicit }))).toBe('https://explicit.example/simple');
    mkdirSync(join(home, '.config', 'pip'), { recursive: true });
    writeFileSync(
      join(home, '.config', 'pip', 'pip.conf'),
      '# user\n[global]\nindex-url = https://global.example/simple\n[install]\nindex_url=https://install.example/simple\n',
    );
    expect(await indexOf(noIndex({ HOME: home, PIP_CONFIG_FILE: explicit }))).toBe('https://install.example/simple');
    expect(await indexOf(noIndex({ HOME: home, PIP_CONFIG_FILE: '/dev/null' }))).toMatch(/no index is configured/);
  });

  it('fails with a hint when nothing names an index', async () => {
    const result = await dry(['missing-package', 'requests'], noIndex({}));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: field "index_url" is required and no index is configured');
    expect(result.stderr).toContain('hint: pass --index-url');
    expect(result.stdout).toBe('');
  });
});

describe('bad input', () => {
  it.each([
    [
      ['unresolvd-package', 'requests'],
      2,
      [
        'unknown message type "unresolvd-package" (did you mean \'unresolved-package\'?)',
        'known types: advise-justification, adviser-trigger',
      ],
    ],
    [['adviser-trigger', '--field', 'count=ten', '--field', 'recommendation_type=latest'], 2, ['--field count: expected int, got "ten"']],
    [
      ['adviser-trigger', '--field', 'dev=maybe', '--field', 'recommendation_type=latest'],
      2,
      ['--field dev: expected bool, got "maybe" (use true or false)'],
    ],
    [['adviser-trigger', '--field', 'cout=1'], 2, ['adviser-trigger has no field "cout" (did you mean \'count\'?)']],
    [['adviser-trigger'], 1, ["field 'recommendation_type' is required (str)"]],
    [['adviser-trigger', '--json', '{"recommendation_type": 1}'], 1, ['recommendation_type']],
    [['solved-package', 'requests==2.x', '--solver', 'solver-rhel-8-py38'], 1, ['invalid version "2.x"', 'PEP 440']],
    [['solved-package', 'requests-==2.1', '--solver', 'solver-rhel-8-py38'], 1, ['invalid package name "requests-"', 'PEP 508']],
    [['solved-package', 'requests>=2', '--solver', 'solver-rhel-8-py38'], 1, ["only an exact pin 'NAME==VERSION' is accepted"]],
    [['missing-package', 'requests', '--index-url', 'ftp://index.example/simple'], 1, ['index_url', 'http or https']],
    [['repo-init', 'requests'], 2, ['repo-init is not about a package']],
    [['unresolved-package', 'requests', '--recommendation-type', 'stable'], 2, ['--recommendation-type needs --adviser-id']],
    [['unresolved-package', 'requests', '--header', 'novalue'], 2, ['--header expects name=value, got "novalue"']],
    [['unresolved-package', 'requests', '--json', '{"a":'], 2, ['--json is not valid JSON']],
  ])('publish %j', async (args, code, messages) => {
    const result = await dry(args);
    expect(result.code).toBe(code);
    for (const message of messages) expect(result.stderr).toContain(message);
    expect(result.stdout).toBe('');
  });

  it('refuses a bad --header before anything else is said (the index it would have used was noted first)', async () => {
    const result = await runThoth(['publish', 'unresolved-package', 'requests', '--header', 'novalue'], {
      env: cleanEnv({ THOTH_HOME: tempDir(), THOTH_INDEX_URLS: 'https://index.example/simple' }),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`error: --header expects name=value, got "novalue"\nSee 'thoth publish --help'.\n`);
  });

  it('masks a secret field value in the error text', async () => {
    const result = await dry(['build-analysis-trigger', '--json', '{"base_registry_password": 12345678}']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('base_registry_password');
    expect(result.stderr).not.toContain('12345678');
  });
});

describe('thoth publish --file', () => {
  const file = (text: string) => {
    const path = join(tempDir(), 'in.ndjson');
    writeFileSync(path, text);
    return path;
  };
  const good = (version: string) => JSON.stringify({ package_name: 'requests', package_version: version, solver: 'solver-rhel-8-py38' });

  it('sends nothing when one line is bad, naming every bad line', async () => {
    const s = site('embedded');
    const path = file(`${good('2.25.1')}\n{"package_name": "requests"\n\n${good('2.x')}\n{"topic": "t", "value": {}}\n`);
    const result = await s.thoth(['publish', 'solved-package', '--file', path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`3 of 4 lines of ${path} are invalid; nothing was published`);
    expect(result.stderr).toContain(
      `${path}:5: this line is a recorded envelope (topic, value): publish recorded streams with \`thoth replay\``,
    );
    expect(result.stderr).toMatch(new RegExp(`${path}:2: not valid JSON`));
    expect(result.stderr).toContain(`${path}:4: field 'package_version' "2.x" is invalid: PEP 440`);
    expect(result.stderr).toContain('hint: --skip-invalid');
    const tail = await s.thoth(['tail', 'solved-package', '--exit-at-end', '-o', 'ndjson']);
    expect(lines(tail.stdout)).toEqual([]);
  });

  it('with --skip-invalid sends the valid lines and reports the others', async () => {
    const s = site('embedded');
    const path = file(`${good('2.25.1')}\n${good('2.x')}\n${good('2.26.0')}\n`);
    const result = await s.thoth(['publish', 'solved-package', '--file', path, '--skip-invalid', '-o', 'ndjson']);
    expect(result.code).toBe(0);
    expect(lines(result.stdout).map((p) => [p.offset, p.key])).toEqual([
      [0, 'requests==2.25.1'],
      [1, 'requests==2.26.0'],
    ]);
    expect(result.stderr).toContain(`warning: skipped ${path}:2: field 'package_version' "2.x" is invalid`);
  });

  it('prints where each message landed as a table or YAML', async () => {
    const s = site('embedded');
    const table = await s.thoth(['publish', 'repo-init', '--field', 'project_url=https://git.example/a'], { tty: true });
    expect(table.stdout).toBe(
      `TOPIC${' '.repeat(s.deployment.length + 13)}PARTITION  OFFSET  KEY\n${s.deployment}.thoth.repo-init  0          0\n`,
    );
    const yaml = await s.thoth(['publish', 'repo-init', '--field', 'project_url=https://git.example/b', '-o', 'yaml']);
    expect(yaml.stdout).toBe(`- topic: ${s.deployment}.thoth.repo-init\n  partition: 0\n  offset: 1\n  key: null\n`);
  });

  it('reads stdin with --file -', async () => {
    const result = await runThoth(['publish', 'solved-package', '--file', '-', '--dry-run'], {
      env: cleanEnv({ THOTH_INDEX_URLS: INDEX }),
      stdin: `${good('1.0')}\n${good('2.0')}\n`,
    });
    expect(result.code).toBe(0);
    expect(lines(result.stdout).map((m) => m.package_version)).toEqual(['1.0', '2.0']);
  });
});

describe('an unreachable broker', () => {
  it('is named, and publish, tail, replay and topics fail with exit 1 instead of waiting', async () => {
    const stream = join(tempDir(), 'one.ndjson');
    writeFileSync(
      stream,
      `${JSON.stringify({ topic: 'thoth.repo-init', key: null, headers: {}, value: { component_name: 'c', service_version: '1', project_url: 'https://git.example/x' }, timestamp: 1 })}\n`,
    );
    const env = cleanEnv({ THOTH_INDEX_URLS: INDEX });
    const broker = ['--broker', 'kafka://127.0.0.1:1'];
    const results = await Promise.all([
      runThoth([...broker, 'publish', 'unresolved-package', 'requests'], { env }),
      runThoth([...broker, 'tail', 'solved-package', '--exit-at-end'], { env }),
      runThoth([...broker, 'replay', stream], { env }),
      runThoth([...broker, 'topics'], { env }),
    ]);
    for (const result of results) {
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('127.0.0.1:1');
      expect(result.stdout).toBe('');
    }
  });
});
