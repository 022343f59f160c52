import type { AppSpec } from '../apps.js';
import { asDeckhandError } from '../errors.js';
import { DEFAULT_STOP_TIMEOUT_MS, drainWeb } from './drain.js';
import type { PipelineDeps } from './pipeline.js';
import { isWeb, safeToTouch, whatServes } from './serving.js';

/**
 * After the switch (and the watch window): stops the previous release's containers, web and processes (SIGTERM,
 * then the app's stop timeout), kept stopped as the instant rollback. Never what serves, never a container of the
 * release that now runs. The old web gets the drain first so its in-flight requests finish (drainWeb).
 */
export async function retirePrevious(deps: PipelineDeps, app: AppSpec, deploymentId: number, phase: (message: string) => void): Promise<void> {
  const { runtime } = deps;
  const containers = await runtime.listContainers(app.name);
  const serving = await whatServes(deps, app, containers);
  const others = containers.filter((c) => c.running && c.deploymentId !== deploymentId && (deps.traffic.mode !== 'proxy' || safeToTouch(serving, c)));
  if (others.length === 0) return;
  const webs = others.filter(isWeb);
  if (webs.length > 0) await drainWeb(deps, app, webs.flatMap((c) => (c.port ? [c.port] : [])), 'the previous version', phase);
  const grace = app.run.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  await Promise.all(
    others.map(async (container) => {
      try {
        await runtime.stop(container.id, grace);
        phase(`Stopped ${container.name} (kept for an instant rollback)`);
      } catch (error) {
        phase(`Could not stop ${container.name}: ${asDeckhandError(error).message}`);
      }
    }),
  );
}

/**
 * On a failure: removes what the release started. Its process containers never serve; its web container is
 * removed unless the proxy says it serves (asked first, every time). A removal that fails is handed to `failed` (the
 * undo notes an engine that is gone) and the rest goes on.
 */
export async function removeStarted(deps: PipelineDeps, app: AppSpec, webId: string | null, processIds: string[], phase: (message: string) => void, failed: (error: unknown) => void): Promise<void> {
  const { runtime } = deps;
  await Promise.all(processIds.map((id) => runtime.remove(id).catch(failed)));
  if (!webId) return;
  const serving = deps.traffic.mode === 'proxy' ? await whatServes(deps, app) : undefined;
  if (!serving || safeToTouch(serving, { id: webId, running: true })) await runtime.remove(webId).catch(failed);
  else phase(`Left ${webId.slice(0, 12)} running: it serves traffic now (${serving.known ? 'the proxy points at it' : serving.reason})`);
}
