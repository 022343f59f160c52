import type { StepContext } from './artifact-step.js';

/**
 * Makes room for the new container and says where it listens. Proxy: a free port beside the old container, which
 * keeps serving. Recreate: the public port, after stopping what runs; each stopped id is pushed to `stopped` at
 * once, so a failure (or an abort) at any point starts exactly those again.
 */
export async function makeRoom(ctx: StepContext, stopped: string[]): Promise<number> {
  const { runtime, traffic } = ctx.deps;
  if (traffic.mode === 'proxy') return runtime.freePort();
  // Recreate drops requests: every deploy says so once, plainly, with how to avoid it.
  for (const warning of (await traffic.warnings?.()) ?? []) ctx.phase('start', `Warning: ${warning}`);
  const running = (await runtime.listContainers(ctx.app.name)).filter((c) => c.running);
  if (running.length > 0) {
    ctx.phase('start', `Stopping ${running.map((c) => c.name).join(', ')} (recreate strategy: the app is down until the new container is healthy)`);
    for (const container of running) {
      await runtime.stop(container.id);
      stopped.push(container.id);
    }
  }
  return ctx.app.run.port;
}
