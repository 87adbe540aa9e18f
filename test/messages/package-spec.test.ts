import { describe, expect, it, test } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import {
  canonicalVersion,
  indexUrlProblem,
  normalizePackageName,
  packageFieldErrors,
  packageNameProblem,
  parsePackageSpec,
  versionProblem,
} from '../../src/messages/package-spec.js';

function specError(spec: string): UserError {
  try {
    parsePackageSpec(spec);
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(spec)} was accepted`);
}

describe('parsePackageSpec', () => {
  test.each([
    ['requests==2.25.1', { name: 'requests', version: '2.25.1' }],
    ['requests', { name: 'requests' }],
    ['  Flask-SQLAlchemy == 3.0.0rc1 ', { name: 'Flask-SQLAlchemy', version: '3.0.0rc1' }],
    ['zope.interface==5.4.0', { name: 'zope.interface', version: '5.4.0' }],
    ['a==1!2.0.post3.dev4+local.7', { name: 'a', version: '1!2.0.post3.dev4+local.7' }],
    ['ruamel_yaml==0.17', { name: 'ruamel_yaml', version: '0.17' }],
  ])('%j is accepted', (spec, expected) => {
    expect(parsePackageSpec(spec)).toEqual(expected);
  });

  // [spec, text the error must contain]
  test.each([
    ['', 'the package specification is empty'],
    ['requests;rm -rf /', 'environment markers'],
    ['$(id)==1.0', 'PEP 508'],
    ['`id`', 'PEP 508'],
    ['req|uests', 'PEP 508'],
    ['{{x}}', 'PEP 508'],
    ['{{x}}==1.0', 'PEP 508'],
    ['https://index.example/simple/requests', 'PEP 508'],
    ['../../etc/passwd', 'PEP 508'],
    ['-requests', 'PEP 508'],
    ['requests.', 'PEP 508'],
    ['req\nuests==1.0', 'control character'],
    ['requ\u0000ests', 'control character'],
    ['requ\u200bests', 'control character'],
    ['réquests', 'PEP 508'],
    ['a'.repeat(5000), 'at most 200 characters'],
    ['requests==2.25.1; rm -rf /', 'no spaces or control characters'],
    ['requests==$(id)', 'PEP 440'],
    ['requests=={{version}}', 'PEP 440'],
    ['requests==../../x', 'PEP 440'],
    ['requests==1.0\u0007', 'control character'],
    ['requests==', 'the version is empty'],
    ['requests==2.*', 'not a wildcard'],
    ['requests==' + '1.'.repeat(500) + '1', 'at most 128 characters'],
    ['requests>=2.0', "not the operator '>='"],
    ['requests===2.0', "not the operator '==='"],
    ['requests~=2.0', "not the operator '~='"],
    ['requests!=2.0', "not the operator '!='"],
    ['requests<2', "not the operator '<'"],
    ['requests[security]==2.0', 'extras are not accepted'],
    ['requests @ https://index.example/requests.tar.gz', 'direct references'],
    ['requests,flask', 'expected NAME or NAME==VERSION'],
  ])('%j is refused, naming the rule', (spec, rule) => {
    const error = specError(spec);
    expect(error.message).toContain(rule);
    expect(error.hint).toContain('NAME==VERSION');
  });

  test('the error shows the input escaped and shortened, never raw control characters', () => {
    const error = specError(`req\u001b[31muests${'x'.repeat(300)}`);
    expect(error.message).not.toMatch(/[\u0000-\u001f]/);
    expect(error.message).toContain('\\u001b');
    expect(error.message.length).toBeLessThan(400);
    expect(specError('req\u202euests').message).toContain('req\\u202euests');
  });
});

describe('names, versions and index URLs', () => {
  test('normalizePackageName follows PEP 503', () => {
    expect(normalizePackageName('Flask_SQLAlchemy')).toBe('flask-sqlalchemy');
    expect(normalizePackageName('zope..Interface--x__y')).toBe('zope-interface-x-y');
  });

  test('packageNameProblem and versionProblem are undefined for valid values', () => {
    expect(packageNameProblem('a')).toBeUndefined();
    expect(packageNameProblem('A1._-b')).toBeUndefined();
    expect(versionProblem('2.25.1')).toBeUndefined();
    expect(versionProblem('v1.0')).toBeUndefined();
    expect(packageNameProblem('')).toBe('the package name is empty');
    expect(versionProblem('not-a-version')).toMatch(/^PEP 440/);
  });

  test.each([
    ['https://index.example/simple', undefined],
    ['http://127.0.0.1:8080/simple/', undefined],
    ['HTTPS://Index.Example/simple', undefined],
    ['', 'empty'],
    ['index.example/simple', 'absolute http(s) URL'],
    ['ftp://index.example/simple', 'http or https'],
    ['file:///etc/passwd', 'http or https'],
    ['javascript:alert(1)', 'http or https'],
    ['https:index.example/simple', 'absolute http(s) URL'],
    ['https://user:secret@index.example/simple', 'no credentials'],
    ['https://token@index.example/simple', 'no credentials'],
    ['https://index.example/simple?x=1', 'no query string or fragment'],
    ['https://index.example/simple#frag', 'no query string or fragment'],
    ['https://index.example/simple/../admin', "'..' path segments"],
    ['https://index.example/%2e%2e/admin', "'..' path segments"],
    ['https://index.example\\simple', 'no backslashes'],
    ['https://index.example/sim ple', 'no spaces or control characters'],
    ['https://index.example/simple;touch${IFS}x', 'none of ;'],
    ['https://index.example/$(id)/simple', 'none of ;'],
    ['https://index.example/`id`', 'none of ;'],
    ["https://index.example/it's", 'none of ;'],
    ['https://index.example/simple\n', 'no spaces or control characters'],
    [`https://index.example/${'a'.repeat(3000)}`, 'at most 2048 characters'],
  ])('indexUrlProblem(%j)', (url, problem) => {
    const found = indexUrlProblem(url);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

describe('packageFieldErrors', () => {
  test('checks package_name, package_version and index_url of a body, naming field and rule', () => {
    const errors = packageFieldErrors({
      package_name: 'bad name',
      package_version: '1.0',
      index_url: 'https://user:pw@index.example/simple',
    });
    expect(errors.map((e) => [e.field, e.rule])).toEqual([
      ['package_name', 'pep508'],
      ['index_url', 'index-url'],
    ]);
    expect(errors[1].message).not.toContain('pw');
  });

  test('absent and null fields are not checked; "*" is allowed only when asked', () => {
    expect(packageFieldErrors({ package_name: 'requests', package_version: null })).toEqual([]);
    expect(packageFieldErrors({ package_name: 'requests', package_version: '*' }).map((e) => e.rule)).toEqual(['pep440']);
    expect(packageFieldErrors({ package_name: 'requests', package_version: '*' }, { allowAnyVersion: true })).toEqual([]);
  });
});

describe('canonical versions', () => {
  it.each([
    ['2.0', '2.0.0'],
    ['v2.0.0', '2.0.0'],
    ['2', '2.0.0'],
    ['2.0.0.0', '2.0.0'],
    [' 2.25.1 ', '2.25.1'],
    ['1.2.3.4', '1.2.3.4'],
    ['1.2.3.4.0', '1.2.3.4'],
    ['1.0-RC1', '1.0.0rc1'],
    ['1.0.0-1', '1.0.0.post1'],
    ['1!2.0.post2.dev3+Ubuntu-1', '1!2.0.0.post2.dev3+ubuntu.1'],
  ])('%s is %s', (spelling, canonical) => {
    expect(canonicalVersion(spelling)).toBe(canonical);
  });

  it('leaves what is not PEP 440 as it is (callers check first)', () => {
    expect(canonicalVersion('not a version')).toBe('not a version');
  });
});
