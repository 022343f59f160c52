import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Whether this module runs from src/ under tsx (tests) or from the build in dist/. */
const EXTENSION = import.meta.url.endsWith('.ts') ? 'ts' : 'js';

/**
 * Forks one of deckhand's own entry points at the top of its tree (`store-main`: src/store-main.ts under tsx,
 * dist/store-main.js built) with an IPC channel, its stdout and stderr going to this process's. It runs with this
 * process's loader flags (tsx in tests); profilers and inspectors stay with this process.
 */
export function forkEntry(name: string, args: string[]): ChildProcess {
  const script = fileURLToPath(new URL(`../../${name}.${EXTENSION}`, import.meta.url));
  const execArgv = process.execArgv.filter((arg) => !/^--(cpu-prof|heap-prof|inspect|prof)/.test(arg));
  return fork(script, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}
