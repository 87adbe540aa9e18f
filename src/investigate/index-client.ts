/**
 * Which versions a package index lists, through the PEP 691 JSON simple API
 * (`GET <index>/<normalised-name>/`, Accept: application/vnd.pypi.simple.v1+json).
 * Versions come from the `versions` key (PEP 700) and, on indexes that do
 * not send it, from the file names. Newest first, as upstream's Source did.
 */
import { rcompare } from '@renovatebot/pep440';
import { withDeadline } from '../core/deadline.js';
import { PermanentError, TransientError } from '../core/errors.js';
import { normalizePackageName, versionProblem } from '../messages/package-spec.js';

export const PEP691_JSON = 'application/vnd.pypi.simple.v1+json';

export const INDEX_ERROR = {
  notOnIndex: 'PackageNotOnIndex',
  badAnswer: 'IndexAnswerInvalid',
  refused: 'IndexRefused',
} as const;

export interface IndexClient {
  /** Every valid PEP 440 version the index lists for the package, newest first. */
  versions(indexUrl: string, packageName: string, options?: { signal?: AbortSignal }): Promise<string[]>;
}

export interface IndexClientOptions {
  /** Per request; a timeout is transient. Default 30 s. */
  timeoutMs?: number;
  /** Larger answers are refused. Default 64 MiB (the biggest projects list tens of thousands of files). */
  maxBytes?: number;
}

const SDIST_SUFFIXES = ['.tar.gz', '.tar.bz2', '.tar.xz', '.tgz', '.zip', '.tar'];

/** The version a distribution file name carries, or undefined when the name is not one of the project's files. */
export function versionFromFilename(filename: string, normalizedName: string): string | undefined {
  if (filename.endsWith('.whl') || filename.endsWith('.egg')) {
    const parts = filename.slice(0, -4).split('-');
    return parts.length >= 2 && normalizePackageName(parts[0]) === normalizedName ? parts[1] : undefined;
  }
  const suffix = SDIST_SUFFIXES.find((s) => filename.endsWith(s));
  if (!suffix) return undefined;
  const stem = filename.slice(0, -suffix.length);
  // The name itself may contain '-': try each split until the prefix is the project.
  for (let i = stem.indexOf('-'); i !== -1; i = stem.indexOf('-', i + 1)) {
    if (normalizePackageName(stem.slice(0, i)) === normalizedName) return stem.slice(i + 1);
  }
  return undefined;
}

/** Versions from a PEP 691 project answer: valid PEP 440 only, de-duplicated, newest first. */
export function versionsFromProjectPage(page: unknown, normalizedName: string): string[] {
  if (typeof page !== 'object' || page === null || Array.isArray(page)) {
    throw new PermanentError(INDEX_ERROR.badAnswer, 'the index answered with JSON that is not a PEP 691 project page (expected an object)');
  }
  const { versions, files } = page as { versions?: unknown; files?: unknown };
  let found: string[];
  if (Array.isArray(versions)) {
    found = versions.filter((v): v is string => typeof v === 'string');
  } else if (Array.isArray(files)) {
    found = files
      .map((file) => (typeof file === 'object' && file !== null ? (file as { filename?: unknown }).filename : undefined))
      .filter((name): name is string => typeof name === 'string')
      .map((name) => versionFromFilename(name, normalizedName))
      .filter((v): v is string => v !== undefined);
  } else {
    throw new PermanentError(INDEX_ERROR.badAnswer, 'the index answered with a PEP 691 page that has neither `versions` nor `files`');
  }
  const valid = [...new Set(found.filter((v) => versionProblem(v) === undefined))];
  return valid.sort(rcompare);
}

async function readBounded(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes)
    throw new PermanentError(INDEX_ERROR.badAnswer, `the index answer is ${declared} bytes, more than the ${maxBytes} allowed`);
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new PermanentError(INDEX_ERROR.badAnswer, `the index answer is larger than the ${maxBytes} bytes allowed`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createIndexClient(options: IndexClientOptions = {}): IndexClient {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;

  return {
    async versions(indexUrl, packageName, { signal } = {}) {
      const name = normalizePackageName(packageName);
      const url = `${indexUrl.replace(/\/+$/, '')}/${name}/`;
      // The deadline covers the answer's body too; built by hand (src/core/deadline.ts says why).
      const text = await withDeadline(timeoutMs, signal, async (deadline) => {
        let response: Response;
        try {
          response = await fetch(url, { headers: { Accept: PEP691_JSON }, redirect: 'follow', signal: deadline });
        } catch (error) {
          if (signal?.aborted) throw error;
          const why = deadline.aborted ? `no answer within ${timeoutMs} ms` : (error as Error).message;
          throw new TransientError(`could not reach index ${indexUrl}: ${why}`, undefined, { cause: error });
        }
        if (response.status === 404) {
          await response.body?.cancel();
          throw new PermanentError(INDEX_ERROR.notOnIndex, `package ${name} is not on index ${indexUrl}`);
        }
        if (response.status === 429 || response.status >= 500) {
          await response.body?.cancel();
          const retryAfter = Number(response.headers.get('retry-after'));
          throw new TransientError(
            `index ${indexUrl} answered ${response.status}`,
            Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
          );
        }
        if (!response.ok) {
          await response.body?.cancel();
          throw new PermanentError(INDEX_ERROR.refused, `index ${indexUrl} answered ${response.status} for package ${name}`);
        }
        const type = (response.headers.get('content-type') ?? '').split(';')[0].trim();
        if (type !== PEP691_JSON && type !== 'application/json') {
          await response.body?.cancel();
          throw new PermanentError(
            INDEX_ERROR.badAnswer,
            `index ${indexUrl} does not speak the PEP 691 JSON API (answered ${type || 'no content type'})`,
          );
        }
        try {
          return await readBounded(response, maxBytes);
        } catch (error) {
          if (error instanceof PermanentError || signal?.aborted) throw error;
          throw new TransientError(`the answer of index ${indexUrl} was cut off: ${(error as Error).message}`, undefined, { cause: error });
        }
      });
      let page: unknown;
      try {
        page = JSON.parse(text);
      } catch {
        throw new PermanentError(INDEX_ERROR.badAnswer, `index ${indexUrl} sent a PEP 691 answer that is not valid JSON`);
      }
      return versionsFromProjectPage(page, name);
    },
  };
}
