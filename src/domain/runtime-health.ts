import type { Runtime } from './ports.js';

/**
 * The runtime's own health judgement for an app's versions (a cluster's task healthchecks), or undefined when
 * deckhand probes the health path on 127.0.0.1 itself (one Docker host). With several runtimes this differs per
 * app, so the domain asks here rather than testing whether `waitHealthy` exists.
 */
export function healthJudge(runtime: Runtime, app: string): NonNullable<Runtime['waitHealthy']> | undefined {
  if (!runtime.waitHealthy || runtime.judgesHealth?.(app) === false) return undefined;
  return runtime.waitHealthy.bind(runtime);
}
