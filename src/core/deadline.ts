/**
 * One request's time limit, tied to the caller's signal. Built by hand
 * rather than with AbortSignal.any([signal, AbortSignal.timeout(ms)]): on
 * Node 20 that combined signal can be garbage-collected before it fires, and
 * a request to a server that never answers then waits for ever. Here a
 * referenced timer and a listener on the caller's signal keep it alive, and
 * both are released when the call settles.
 */
export async function withDeadline<T>(
  ms: number,
  callerSignal: AbortSignal | undefined,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')), ms);
  const onCallerAbort = () => controller.abort(callerSignal!.reason);
  if (callerSignal?.aborted) onCallerAbort();
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  try {
    return await run(controller.signal);
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', onCallerAbort);
  }
}
