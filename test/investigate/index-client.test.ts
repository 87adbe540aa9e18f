import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/core/errors.js';
import { createIndexClient, versionFromFilename, PEP691_JSON } from '../../src/investigate/index-client.js';
import { startIndexServer, type IndexServer } from '../support/index-server.js';
import { collectGarbage } from '../support/gc.js';

describe('PEP 691 index client', () => {
  let index: IndexServer;
  beforeAll(async () => {
    index = await startIndexServer({
      requests: { versions: ['2.24.0', '2.25.1', '2.25.0', '3.0.0rc1'] },
      'zope-interface': { versions: ['5.4.0', '5.10.0', 'not a version'], filesOnly: true },
      flaky: { versions: ['1.0'], status: 503 },
      forbidden: { versions: ['1.0'], status: 403 },
      slow: { versions: ['1.0'], hang: true },
      legacy: { versions: ['1.0'], html: true },
    });
  });
  afterAll(() => index.close());

  it('asks for the normalised project page with the PEP 691 media type and returns versions newest first', async () => {
    const versions = await createIndexClient().versions(`${index.url}/`, 'Requests');
    expect(versions).toEqual(['3.0.0rc1', '2.25.1', '2.25.0', '2.24.0']);
    expect(index.requests.at(-1)).toEqual({ path: '/simple/requests/', accept: PEP691_JSON });
  });

  it('reads versions from file names when the index sends no versions key, dropping invalid ones', async () => {
    expect(await createIndexClient().versions(index.url, 'zope.interface')).toEqual(['5.10.0', '5.4.0']);
  });

  it('reports a package the index does not have as a permanent error', async () => {
    const error = await createIndexClient()
      .versions(index.url, 'no-such-package')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).errorClass).toBe('PackageNotOnIndex');
    expect((error as Error).message).toContain('not on index');
  });

  it('treats 5xx as transient and other 4xx as permanent', async () => {
    await expect(createIndexClient().versions(index.url, 'flaky')).rejects.toBeInstanceOf(TransientError);
    await expect(createIndexClient().versions(index.url, 'forbidden')).rejects.toBeInstanceOf(PermanentError);
  });

  it('treats a timeout and an unreachable index as transient', async () => {
    await expect(createIndexClient({ timeoutMs: 200 }).versions(index.url, 'slow')).rejects.toBeInstanceOf(TransientError);
    await expect(createIndexClient({ timeoutMs: 2000 }).versions('http://127.0.0.1:1/simple', 'requests')).rejects.toBeInstanceOf(
      TransientError,
    );
    // With the caller's signal too (the investigator always passes one), and the garbage collector running meanwhile.
    const asking = createIndexClient({ timeoutMs: 300 }).versions(index.url, 'slow', { signal: new AbortController().signal });
    const collecting = setInterval(collectGarbage, 50);
    await expect(asking).rejects.toThrow(/no answer within 300 ms/);
    clearInterval(collecting);
  });

  it('refuses an index that answers HTML instead of the JSON API', async () => {
    const error = await createIndexClient()
      .versions(index.url, 'legacy')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toContain('PEP 691');
  });

  it('refuses an answer larger than the limit', async () => {
    await expect(createIndexClient({ maxBytes: 100 }).versions(index.url, 'requests')).rejects.toThrow(/larger than|more than/);
  });
});

describe('versionFromFilename', () => {
  it.each([
    ['requests-2.25.1.tar.gz', 'requests', '2.25.1'],
    ['requests-2.25.1-py2.py3-none-any.whl', 'requests', '2.25.1'],
    ['zope.interface-5.4.0.zip', 'zope-interface', '5.4.0'],
    ['python-dateutil-2.8.2.tar.gz', 'python-dateutil', '2.8.2'],
    ['other-1.0.tar.gz', 'requests', undefined],
    ['requests-2.25.1.exe', 'requests', undefined],
  ])('%s for %s gives %s', (filename, name, version) => {
    expect(versionFromFilename(filename, name)).toBe(version);
  });
});
