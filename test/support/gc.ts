/**
 * Runs the garbage collector on demand, for tests of things that must stay
 * alive while a request waits (Node 20 can collect a combined AbortSignal
 * before it fires). No --expose-gc on the command line needed.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');

export const collectGarbage = runInNewContext('gc') as () => void;
