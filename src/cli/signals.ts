/**
 * SIGINT/SIGTERM abort the running command through an AbortSignal (its
 * reason names the signal); a second signal ends the process at once with
 * 130 (SIGINT) or 143 (SIGTERM).
 */
export function installSignalHandlers(target: NodeJS.Process = process): { signal: AbortSignal } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      target.stderr.write('interrupted again: exiting now\n');
      target.exit(name === 'SIGTERM' ? 143 : 130);
    }
    controller.abort(name);
  };
  target.on('SIGINT', onSignal);
  target.on('SIGTERM', onSignal);
  return { signal: controller.signal };
}

/**
 * A reader that stops early (`thoth tail … | head`) closes the pipe: that is
 * the reader's choice, not a failure, so stop quietly instead of crashing on
 * EPIPE. Other stream errors stay unhandled bugs. The handler is put on
 * stdout and stderr when they are first used: Node creates them then
 * (loading its stream modules), and a command that prints nothing on one of
 * them does not pay for it.
 */
export function exitQuietlyOnClosedPipe(target: NodeJS.Process = process): void {
  for (const name of ['stdout', 'stderr'] as const) {
    whenCreated(target, name, (stream) =>
      stream.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') throw error;
        exitOnClosedPipe(target);
      }),
    );
  }
}

/** Ends the process as a closed pipe does: with the exit code the command has set, else 0. */
export function exitOnClosedPipe(target: NodeJS.Process = process): void {
  target.exit(typeof target.exitCode === 'number' ? target.exitCode : 0);
}

/**
 * Calls `use` with target[name] once Node has created it, at its first use; at once when it is not
 * a getter Node has left to be replaced.
 */
function whenCreated(target: NodeJS.Process, name: 'stdout' | 'stderr', use: (stream: NodeJS.WriteStream) => void): void {
  const descriptor = Object.getOwnPropertyDescriptor(target, name);
  if (!descriptor?.get || !descriptor.configurable) {
    use(target[name]);
    return;
  }
  Object.defineProperty(target, name, {
    configurable: true,
    enumerable: descriptor.enumerable,
    get() {
      // Node's own getter again: it keeps the stream it made.
      Object.defineProperty(target, name, descriptor);
      const stream = target[name];
      use(stream);
      return stream;
    },
  });
}

/**
 * Runs a synchronous call that may block for long (a user's `query sql`).
 * While it runs the event loop cannot see a signal, so the handlers above
 * would never fire: the default action is restored for the duration, and
 * Ctrl-C ends the process at once (the shell sees 130). Such calls write
 * nothing, so nothing is left half done.
 */
export function withDefaultSignals<T>(fn: () => T, target: NodeJS.Process = process): T {
  const saved = (['SIGINT', 'SIGTERM'] as const).map((name) => ({ name, listeners: target.listeners(name) }));
  for (const { name } of saved) target.removeAllListeners(name);
  try {
    return fn();
  } finally {
    for (const { name, listeners } of saved) for (const listener of listeners) target.on(name, listener);
  }
}
