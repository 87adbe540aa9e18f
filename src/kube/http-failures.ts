/**
 * How the Kubernetes adapter reacts to a failed request: 5xx, 429, timeouts
 * and dropped connections are tried again with capped exponential backoff
 * (a server's Retry-After wins), up to a bounded number of attempts. A
 * cluster that cannot serve thoth at all (credentials refused, a verb not
 * granted, Argo not installed, a certificate that does not verify) fails at
 * once as a FatalError naming what to fix: no message is to blame, so the
 * investigator stops instead of dead-lettering. Other 4xx fail at once with
 * the server's reason. Kept apart from kube.ts so that it is plain code
 * without the client library.
 */
import { CancelledError, FatalError, PermanentError, TransientError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { sleep } from '../core/sleep.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  baseMs: number;
  capMs: number;
  /** One request's time limit. */
  requestTimeoutMs: number;
}

/** The longest wait a server's Retry-After gets (a longer one would look like a hang). */
export const RETRY_AFTER_LIMIT_MS = 60_000;

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 250, capMs: 8_000, requestTimeoutMs: 30_000 };

/** The server's answer when it answered: status code, headers, and its Status object when the body was one. */
export interface HttpFailure {
  status: number;
  headers: Record<string, string>;
  reason?: string;
  message?: string;
  /** The Status object's details.kind: what was not found (namespaces, workflows). */
  kind?: string;
}

export type FailureClass =
  | { kind: 'transient'; description: string; retryAfterMs?: number }
  /** The request itself is wrong (the message's fault): the investigator dead-letters it. */
  | { kind: 'permanent'; status: number; errorClass: string; description: string }
  /** The cluster, its credentials or its set-up are wrong (no message's fault): stop and say what to fix. */
  | { kind: 'cluster'; description: string; hint?: string };

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

/** Retry-After as seconds or an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Who is asking what of whom: the words a cluster failure is explained in. */
export interface RequestContext {
  /** The API verb: create, get, list, watch. */
  verb: string;
  namespace: string;
  /** `the token of user "ci" (kubeconfig context staging)`: which credential was sent. */
  credential: string;
  /** `the CA file /etc/kube/ca.crt`: what the server's certificate was checked against. */
  trust: string;
  server: string;
}

const WORKFLOWS = 'workflows.argoproj.io';

/**
 * What to grant: the investigator's Role holds create, get and list; watch is only for a person
 * following a workflow (`submit --wait/--watch`), so that Role leaves it out on purpose.
 */
function grantHint(context: RequestContext): string {
  const check = `check with: kubectl auth can-i ${context.verb} ${WORKFLOWS} -n ${context.namespace}`;
  if (context.verb === 'watch') {
    return `grant the verb watch on ${WORKFLOWS} in namespace ${context.namespace} to the credentials you submit with (thoth submit --wait and --watch need it; deploy/investigator/role.yaml leaves it out: the investigator never watches); ${check}`;
  }
  return `grant the verb ${context.verb} on ${WORKFLOWS} in namespace ${context.namespace} (deploy/investigator/role.yaml is the Role thoth needs); ${check}`;
}

export function classifyHttp(failure: HttpFailure, context: RequestContext): FailureClass {
  const said = failure.message ?? failure.reason ?? `HTTP ${failure.status}`;
  if (failure.status === 429 || failure.status >= 500) {
    return {
      kind: 'transient',
      description: `HTTP ${failure.status}: ${said}`,
      retryAfterMs: retryAfterMs(failure.headers['retry-after']),
    };
  }
  if (failure.status === 401) {
    return {
      kind: 'cluster',
      description: `the API server ${context.server} did not accept ${context.credential} (401 Unauthorized)`,
      hint: 'it may have expired or been revoked: renew it (log in again, or refresh the kubeconfig), or choose other credentials with --kubeconfig / --context',
    };
  }
  if (failure.status === 403) {
    return {
      kind: 'cluster',
      description: failure.message
        ? `${failure.message} (403 Forbidden; credential: ${context.credential})`
        : `${context.credential} may not ${context.verb} ${WORKFLOWS} in namespace ${context.namespace} (403 Forbidden)`,
      hint: grantHint(context),
    };
  }
  if (failure.status === 404) {
    if (failure.kind === 'namespaces') {
      return {
        kind: 'cluster',
        description: `namespace ${context.namespace} does not exist in the cluster at ${context.server}`,
        hint: `create it (kubectl create namespace ${context.namespace}) or choose another with --namespace`,
      };
    }
    // A plain-text 404 (no Status object) is the API server's answer for an API group it does not serve.
    if (failure.reason === undefined) {
      return {
        kind: 'cluster',
        description: `Argo Workflows is not installed in the cluster at ${context.server} (no ${WORKFLOWS} API)`,
        hint: 'install Argo Workflows (its CRDs and controller) in this cluster, or choose the cluster that runs it with --context',
      };
    }
  }
  // Strict field validation: the cluster's Workflow schema lacks a field thoth writes. thoth's own body, so no message's fault.
  if ((failure.status === 400 || failure.status === 422) && /unknown field|strict decoding error/i.test(said)) {
    return {
      kind: 'cluster',
      description: `the cluster's Workflow CRD refuses what thoth writes (${said}): its Argo Workflows is older than thoth needs`,
      hint: "upgrade Argo Workflows' CRDs to 3.4 or newer (the full-schema CRDs of the Argo release the cluster runs)",
    };
  }
  return { kind: 'permanent', status: failure.status, errorClass: failure.reason ?? `HTTP${failure.status}`, description: said };
}

/** Node's codes for a server certificate that does not verify: never worth a retry. */
const CERTIFICATE_CODES =
  /^(?:UNABLE_TO_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH|ERR_SSL_|ERR_TLS_)/;

/** Network-level failures (no answer): connection reset or refused, timeouts, a certificate that does not verify. Undefined when it is not one. */
export function classifyNetwork(error: unknown, context?: Pick<RequestContext, 'trust' | 'server'>): FailureClass | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown; errno?: unknown }).code ?? (error as { errno?: unknown }).errno;
  if (typeof code === 'string' && CERTIFICATE_CODES.test(code)) {
    const reason = /reason: (.*)$/.exec(error.message)?.[1] ?? code;
    return {
      kind: 'cluster',
      description: `cannot verify the certificate of the API server${context ? ` ${context.server}` : ''}: ${reason}${context ? ` (checked against ${context.trust})` : ''}`,
      hint: "the kubeconfig's certificate-authority must be the CA that signed the API server's certificate, and the server's address must be one the certificate names",
    };
  }
  // Which server: a context that names the wrong cluster (or one that is down) shows here first.
  const at = context ? ` to the API server ${context.server}` : '';
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return { kind: 'transient', description: `connection${at} failed (${code})` };
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return { kind: 'transient', description: `request${at} timed out` };
  if (error.name === 'FetchError')
    return { kind: 'transient', description: `connection${at} failed (${error.message.replace(/https?:\/\/\S+/g, '<server>')})` };
  return undefined;
}

export function backoffMs(attempt: number, policy: Pick<RetryPolicy, 'baseMs' | 'capMs'>): number {
  return Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
}

async function sleepOrCancel(ms: number, signal?: AbortSignal): Promise<void> {
  await sleep(ms, signal);
  if (signal?.aborted) throw new CancelledError();
}

/**
 * Runs `request` until it succeeds, fails permanently, or uses up the
 * attempts. `classify` turns a thrown error into a failure class, or
 * returns undefined for an error that is not a request failure (rethrown).
 */
export async function withRetries<T>(
  what: string,
  request: (attempt: number) => Promise<T>,
  classify: (error: unknown) => FailureClass | undefined,
  options: {
    policy: RetryPolicy;
    log: Logger;
    signal?: AbortSignal;
    /** Each retry as a notice, not only with --verbose. */ notices?: boolean;
  },
): Promise<T> {
  const { policy, log, signal } = options;
  const say = options.notices ? log.notice : log.debug;
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw new CancelledError();
    try {
      return await request(attempt);
    } catch (error) {
      if (signal?.aborted) throw new CancelledError();
      const failure = classify(error);
      if (!failure) throw error;
      if (failure.kind === 'cluster') throw new FatalError(`${what}: ${failure.description}`, failure.hint, { cause: error });
      if (failure.kind === 'permanent') throw new PermanentError(failure.errorClass, `${what}: ${failure.description}`, { cause: error });
      const wait = failure.retryAfterMs ?? backoffMs(attempt, policy);
      if (attempt + 1 >= policy.attempts) {
        throw new TransientError(`${what}: ${failure.description} (gave up after ${policy.attempts} attempts)`, failure.retryAfterMs, {
          cause: error,
        });
      }
      // A server's Retry-After is honoured up to a limit: the message says what really happens.
      const limit = Math.max(policy.capMs, RETRY_AFTER_LIMIT_MS);
      const delay = Math.min(wait, limit);
      const capped = delay < wait ? ` (the server asked for ${wait} ms; thoth waits at most ${limit} ms)` : '';
      say(`${what}: ${failure.description}; retrying in ${delay} ms${capped} (attempt ${attempt + 2} of ${policy.attempts})`);
      await sleepOrCancel(delay, signal);
    }
  }
}
