import type { AppSpec } from '../apps.js';
import type { PipelineDeps, PipelineSettings } from './pipeline-types.js';

/** How long a retired container gets after SIGTERM when the app sets no `run.stopTimeout`. */
export const DEFAULT_STOP_TIMEOUT_MS = 30_000;

/** How often a drained upstream is asked again while the proxy still has requests open on it. */
export const DRAIN_POLL_MS = 50;

/**
 * The drain of a web that traffic moved away from, before it is stopped or removed: DECKHAND_DRAIN first (a request
 * the proxy took just before the switch reaches it), then for as long as the proxy still has a connection open to one
 * of its `ports` (a request slower than the drain, a connect the kernel is still retrying), up to the app's stop
 * timeout: the time a stop would have given it after SIGTERM anyway. Stopping it earlier cuts those requests, and
 * Caddy answers each of them 502: the switch's config load ended the old route's retries.
 */
export async function drainWeb(
  deps: Pick<PipelineDeps, 'traffic' | 'clock'> & { settings: Pick<PipelineSettings, 'drainMs'> },
  app: AppSpec,
  ports: readonly number[],
  /** What is drained, in words: `the previous version`, `the new version`. */
  what: string,
  say: (message: string) => void,
): Promise<void> {
  const { traffic, clock, settings } = deps;
  if (settings.drainMs > 0) await clock.sleep(settings.drainMs);
  const count = traffic.openConnections?.bind(traffic);
  if (!count || ports.length === 0) return;
  const open = async () => (await Promise.all(ports.map((port) => count(port).catch(() => 0)))).reduce((a, b) => a + b, 0);
  let left = await open();
  if (left === 0) return;
  const boundMs = app.run.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  say(`${requests(left)} still open on ${what} after the drain: waiting for ${left === 1 ? 'it' : 'them'} (up to ${boundMs / 1000}s)`);
  const deadline = clock.now().getTime() + boundMs;
  while (left > 0 && clock.now().getTime() < deadline) {
    await clock.sleep(DRAIN_POLL_MS);
    left = await open();
  }
  if (left > 0) say(`${requests(left)} still open after ${boundMs / 1000}s: stopping ${what} anyway`);
}

const requests = (n: number) => (n === 1 ? '1 request' : `${n} requests`);
