/**
 * Checks every value before it may become a workflow parameter (SPEC §4):
 * package names by PEP 508 (normalised per PEP 503), versions by PEP 440 (canonical),
 * URLs as http(s) without credentials. Returns the value as it goes into the
 * workflow (normalised), or throws a PermanentError naming the parameter and
 * the rule it broke.
 */
import { PermanentError } from '../core/errors.js';
import { RECOMMENDATION_TYPES } from '../messages/catalogue.js';
import { canonicalVersion, indexUrlProblem, normalizePackageName, packageNameProblem, versionProblem } from '../messages/package-spec.js';
import type { ValueRule } from './kinds.js';

export const INVALID_PARAMETER = 'InvalidParameter';

const ENVIRONMENT_TYPES = ['runtime', 'buildtime'];
const SERVICE_NAMES = ['github', 'gitlab', 'pagure'];
const SOLVER_NAME = /^solver-[a-z0-9]+-[a-z0-9.]+-py[0-9]{2,3}$/;
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,252}$/;
const IDENTIFIER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
// registry[:port]/path[:tag][@sha256:digest], lower-case path components as OCI requires.
const IMAGE =
  /^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$|^[a-z0-9._-]+(\/[a-z0-9._-]+)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

function invalid(parameter: string, rule: string): never {
  throw new PermanentError(INVALID_PARAMETER, `invalid ${parameter}: ${rule}`);
}

function oneOf(parameter: string, value: string, allowed: string[], what: string): string {
  if (!allowed.includes(value)) invalid(parameter, `${what} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
  return value;
}

function checkUrl(parameter: string, value: string, problem: (url: string) => string | undefined): string {
  const reason = problem(value);
  if (reason) invalid(parameter, reason);
  return value.replace(/\/+$/, '');
}

/** Any http(s) URL without credentials: the index URL rule, worded for URLs in general. */
function urlProblem(value: string): string | undefined {
  return indexUrlProblem(value)?.replace(/\b[Aa]n index URL\b/g, (m) => (m[0] === 'A' ? 'A URL' : 'a URL'));
}

function list(parameter: string, value: string, each: (item: string) => string): string {
  if (value === '') return '';
  return value
    .split(',')
    .map((item) => each(item.trim()))
    .join(',');
}

function checkPackageName(parameter: string, value: string): string {
  const reason = packageNameProblem(value);
  if (reason) invalid(parameter, reason);
  return normalizePackageName(value);
}

/** A PEP 440 version, in its canonical form: `2.0` and `v2.0.0` name one version, so one workflow (SPEC §5.1). */
function checkVersion(parameter: string, value: string): string {
  const reason = versionProblem(value);
  if (reason) invalid(parameter, reason);
  return canonicalVersion(value);
}

export function checkValue(parameter: string, rule: ValueRule, value: string): string {
  // Control characters are what this looks for.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(value)) invalid(parameter, 'control characters are not allowed');
  switch (rule) {
    case 'package-name':
      return checkPackageName(parameter, value);
    case 'version':
      return checkVersion(parameter, value);
    case 'index-url':
      return checkUrl(parameter, value, indexUrlProblem);
    case 'url':
      return checkUrl(parameter, value, urlProblem);
    case 'index-urls':
      return list(parameter, value, (url) => checkUrl(parameter, url, indexUrlProblem));
    case 'urls':
      return list(parameter, value, (url) => checkUrl(parameter, url, urlProblem));
    case 'text':
      if (value.length > 2048) invalid(parameter, 'at most 2048 characters');
      return value;
    case 'solver-packages':
      return value
        .split('\n')
        .map((line) => {
          const parts = line.trim().split('===');
          if (parts.length !== 2) invalid(parameter, `each line must be name===version (got ${JSON.stringify(line)})`);
          return `${checkPackageName(parameter, parts[0])}===${checkVersion(parameter, parts[1])}`;
        })
        .join('\n');
    case 'solver-name':
      if (!SOLVER_NAME.test(value))
        invalid(parameter, `a solver name is solver-<os>-<os_version>-py<XY>, e.g. solver-rhel-8-py38 (got ${JSON.stringify(value)})`);
      return value;
    case 'flag':
      return oneOf(parameter, value, ['0', '1'], 'a flag');
    case 'count':
      if (!/^(0|[1-9][0-9]{0,8})$/.test(value)) invalid(parameter, `must be a non-negative integer (got ${JSON.stringify(value)})`);
      return value;
    case 'json':
      try {
        return JSON.stringify(JSON.parse(value));
      } catch {
        return invalid(parameter, 'must be a JSON document');
      }
    case 'image':
      if (!IMAGE.test(value))
        invalid(parameter, `must be a container image reference such as registry.example/org/image:tag (got ${JSON.stringify(value)})`);
      return value;
    case 'identifier':
      if (!IDENTIFIER.test(value))
        invalid(parameter, 'must be an identifier of letters, digits and ._:/@+- (no spaces), at most 253 characters');
      return value;
    case 'recommendation-type':
      return oneOf(parameter, value, [...RECOMMENDATION_TYPES].sort(), 'a recommendation type');
    case 'environment-type':
      return oneOf(parameter, value, ENVIRONMENT_TYPES, 'an environment type');
    case 'service-name':
      return oneOf(parameter, value, SERVICE_NAMES, 'a service name');
    case 'aggregation-function':
    case 'message-type':
      if (!IDENTIFIER_NAME.test(value)) invalid(parameter, 'must be a name of letters, digits and _.- starting with a letter');
      return value;
  }
}

const SECRET_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

export function checkSecretRef(env: string, ref: { secret: string; key: string }): void {
  if (!SECRET_NAME.test(ref.secret) || ref.secret.length > 253) invalid(`${env} secret`, 'a Secret name must be a DNS-1123 subdomain');
  if (!SECRET_KEY.test(ref.key) || ref.key.length > 253) invalid(`${env} secret key`, 'a Secret key consists of letters, digits and -._');
}

/** Parameter names that would carry credentials in plain text; those go in Secret references only. */
export function looksLikeCredential(parameter: string): boolean {
  return /PASSWORD|CREDENTIALS|TOKEN|SECRET_VALUE|PRIVATE_KEY/i.test(parameter);
}
