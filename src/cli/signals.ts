/**
 * SIGINT/SIGTERM abort the running command through an AbortSignal (its
 * reason names the signal); a second signal ends the process at once with 130.
 */
export function installSignalHandlers(target: NodeJS.Process = process): { signal: AbortSignal } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      target.stderr.write('interrupted again: exiting now\n');
      target.exit(130);
    }
    controller.abort(name);
  };
  target.on('SIGINT', onSignal);
  target.on('SIGTERM', onSignal);
  return { signal: controller.signal };
}
