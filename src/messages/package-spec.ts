/**
 * Package names, versions, `name==version` specs and index URLs, checked
 * before they reach a message or a workflow parameter (SPEC §4): names by
 * PEP 508, versions by PEP 440, index URLs as plain http(s) URLs. Every
 * problem names the rule that was broken.
 */
import { explain as explainPep440, valid as validPep440 } from '@renovatebot/pep440';
import { UserError } from '../core/errors.js';
import type { FieldError } from './check-value.js';
import { shown } from '../core/quote.js';
import { withoutCredentials } from './secrets.js';

const PEP508_NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;
const CONTROL_OR_SPACE = /[\s\p{Cc}\p{Cf}]/u;
const MAX_NAME = 200;
const MAX_VERSION = 128;
const MAX_URL = 2048;
const SPEC_HINT = 'write NAME or NAME==VERSION, e.g. requests or requests==2.25.1';

/** PEP 503 normal form: runs of '-', '_', '.' become one '-', lower case. */
export function normalizePackageName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

export function packageNameProblem(name: string): string | undefined {
  if (name === '') return 'the package name is empty';
  if (name.length > MAX_NAME) return `a package name is at most ${MAX_NAME} characters`;
  if (PEP508_NAME.test(name)) return undefined;
  return "PEP 508: a package name has only ASCII letters, digits, '.', '_' and '-', and starts and ends with a letter or digit";
}

export function versionProblem(version: string): string | undefined {
  if (version === '') return 'the version is empty';
  if (version.length > MAX_VERSION) return `a version is at most ${MAX_VERSION} characters`;
  if (CONTROL_OR_SPACE.test(version)) return 'PEP 440: a version contains no spaces or control characters';
  if (version.includes('*')) return 'an exact version is needed, not a wildcard (give only the name to mean every version)';
  if (validPep440(version) === null) return 'PEP 440: not a valid version (e.g. 2.25.1, 1.0rc1, 2!1.0.post2.dev3)';
  return undefined;
}

/**
 * `fn` with its answers to the last `kept` texts remembered (all forgotten at once past that): for what a run asks of
 * the same few texts again and again.
 */
function remembered<T>(fn: (text: string) => T, kept: number): (text: string) => T {
  const answers = new Map<string, T>();
  return (text) => {
    if (answers.has(text)) return answers.get(text)!;
    const answer = fn(text);
    if (answers.size >= kept) answers.clear();
    answers.set(text, answer);
    return answer;
  };
}

/**
 * Remembered: a stream names few index URLs, each checked for every message (its body, then its workflows'
 * parameters), and parsing one (`new URL`) every time showed in the investigator's profile.
 */
export const indexUrlProblem = remembered(indexUrlProblemOf, 1_000);

function indexUrlProblemOf(url: string): string | undefined {
  if (url === '') return 'the index URL is empty';
  if (url.length > MAX_URL) return `an index URL is at most ${MAX_URL} characters`;
  if (CONTROL_OR_SPACE.test(url)) return 'an index URL contains no spaces or control characters';
  if (url.includes('\\')) return 'an index URL contains no backslashes';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'an index URL is an absolute http(s) URL, e.g. https://index.example/simple';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'an index URL uses http or https';
  if (!/^https?:\/\/[^/]/i.test(url)) return 'an index URL is an absolute http(s) URL, e.g. https://index.example/simple';
  // Workflow images may pass the URL to a shell (pip download ...): no character a shell would act on.
  if (/[;&|$`'"<>(){}*!]/.test(url)) return 'an index URL contains none of ; & | $ ` \' " < > ( ) { } * !';
  if (parsed.username || parsed.password || /^https?:\/\/[^/]*@/i.test(url))
    return 'an index URL carries no credentials (user:password@); configure them outside the message';
  if (url.includes('?') || url.includes('#')) return 'an index URL has no query string or fragment';
  if (/\/\.{1,2}(\/|$)/.test(url) || /%2e/i.test(url)) return "an index URL has no '.' or '..' path segments";
  return undefined;
}

/**
 * Parses `name` or `name==version`. Other PEP 508 forms (ranges, extras,
 * markers, URLs) name no single package version and are refused.
 */
export function parsePackageSpec(spec: string): { name: string; version?: string } {
  const text = spec.trim();
  if (text === '') throw new UserError('the package specification is empty', SPEC_HINT);
  if (/[\p{Cc}\p{Cf}]/u.test(text)) throw new UserError(`the package specification ${shown(spec)} contains a control character`, SPEC_HINT);
  const cut = text.search(/[=<>!~@;[\](),\s]/);
  const name = cut === -1 ? text : text.slice(0, cut);
  const rest = cut === -1 ? '' : text.slice(cut).trim();
  const nameProblem = packageNameProblem(name);
  if (nameProblem) {
    // `https://user:password@…` cut at its '@': the name would hold the password.
    const named = name.includes('//') ? '' : `${shown(name)} in `;
    throw new UserError(`invalid package name ${named}${shown(withoutCredentials(spec))}: ${nameProblem}`, SPEC_HINT);
  }
  if (rest === '') return { name };
  if (rest.startsWith('==') && !rest.startsWith('===')) {
    const version = rest.slice(2).trim();
    const problem = versionProblem(version);
    if (problem) throw new UserError(`invalid version ${shown(version)} in ${shown(spec)}: ${problem}`, SPEC_HINT);
    return { name, version };
  }
  const operator = /^(===|!=|~=|>=|<=|>|<|==)/.exec(rest)?.[1];
  if (operator)
    throw new UserError(`only an exact pin 'NAME==VERSION' is accepted, not the operator '${operator}' in ${shown(spec)}`, SPEC_HINT);
  if (rest.startsWith('['))
    throw new UserError(`extras are not accepted in ${shown(spec)}: a message names a package, not its extras`, SPEC_HINT);
  if (rest.startsWith(';')) throw new UserError(`environment markers (';') are not accepted in ${shown(spec)}`, SPEC_HINT);
  if (rest.startsWith('@'))
    throw new UserError(`direct references (NAME @ URL) are not accepted in ${shown(spec)}; use --index-url for the index`, SPEC_HINT);
  throw new UserError(`invalid package specification ${shown(spec)}: expected NAME or NAME==VERSION`, SPEC_HINT);
}

/**
 * PEP 508/440/URL problems in a body's package_name, package_version and
 * index_url (absent or null fields are not checked). The wire schema accepts
 * any string there, like upstream; publish and the investigator check these
 * before acting. `allowAnyVersion` accepts `*` (unresolved-package: every version).
 */
export function packageFieldErrors(body: Record<string, unknown>, options: { allowAnyVersion?: boolean } = {}): FieldError[] {
  const errors: FieldError[] = [];
  const check = (field: string, rule: string, problemOf: (value: string) => string | undefined) => {
    const value = body[field];
    if (typeof value !== 'string') return;
    const problem = problemOf(value);
    // Credentials in a URL are secrets: show the value without them.
    const display = withoutCredentials(value);
    if (problem) errors.push({ field, rule, message: `field '${field}' ${shown(display)} is invalid: ${problem}` });
  };
  check('package_name', 'pep508', packageNameProblem);
  check('package_version', 'pep440', (v) => (options.allowAnyVersion && v === '*' ? undefined : versionProblem(v)));
  check('index_url', 'index-url', indexUrlProblem);
  return errors;
}

/**
 * A version's canonical form, so that every spelling PEP 440 calls equal is
 * one string (SPEC §5.1): the PEP 440 normal form (`v2.0.0` is `2.0.0`,
 * `1.0-RC1` is `1.0rc1`) with the release written in exactly three parts when
 * its trailing zeros allow it (`2`, `2.0`, `2.0.0` and `2.0.0.0` are all
 * `2.0.0`; `1.2.3.4` stays). Three, not packaging's zero-stripping `2`: the
 * common `x.y.z` stays as every index writes it, which matters where the
 * version is matched as a string (`name===version`, SPEC §4). A string that
 * is not PEP 440 is returned trimmed, unchanged (callers check first). Remembered (PEP 440 parsing is a tenth of an
 * investigator's time per message otherwise): a long run sees many versions, each a few times close together.
 */
export const canonicalVersion = remembered(canonicalVersionOf, 10_000);

function canonicalVersionOf(version: string): string {
  const text = version.trim();
  const parsed = explainPep440(text);
  if (!parsed) return text;
  const release = [...parsed.release];
  while (release.length > 3 && release[release.length - 1] === 0) release.pop();
  while (release.length < 3) release.push(0);
  const epoch = parsed.epoch ? `${parsed.epoch}!` : '';
  const pre = parsed.pre ? parsed.pre.join('') : '';
  const post = parsed.post !== null ? `.post${String(parsed.post)}` : '';
  const dev = parsed.dev !== null ? `.dev${String(parsed.dev)}` : '';
  const local = parsed.local ? `+${parsed.local}` : '';
  return `${epoch}${release.join('.')}${pre}${post}${dev}${local}`;
}
