/**
 * deckhand's own Caddy (kept from the earlier bench; README's "Benchmarks" table): the switch itself (one admin
 * call) with the requests that failed around it under steady load, Caddy brought back after a kill by one watchdog
 * pass, and the watch window's revert: first request users see fail → the previous version answers again.
 */
import { performance } from 'node:perf_hooks';
import { onPath } from '../../src/adapters/proxy/managed-caddy.js';
import { createWatchdog } from '../../src/jobs/watchdog.js';
import { get } from '../../test/helpers/http.js';
import { freePort } from '../../test/helpers/ports.js';
import { createTestServices, gitApp } from '../../test/helpers/services.js';
import { steadyLoad } from '../../test/helpers/steady-load.js';
import type { Row } from '../report.js';
import { benchRepo, prebuilt } from '../support/apps.js';
import type { BenchContext, Figure } from '../support/context.js';

export const ownCaddy: Figure = {
  title: "deckhand's own Caddy: switch, restart, watch-window revert",
  async run(ctx) {
    if (!onPath('caddy')) return [{ figure: "switch through deckhand's own Caddy", goal: '(README Benchmarks)', notMeasured: 'caddy is not installed' }];
    return [...(await switches(ctx)), await revert(ctx)];
  },
};

async function switches(ctx: BenchContext): Promise<Row[]> {
  const app = ctx.name('caddy');
  const repo = benchRepo(ctx, [{ body: 'caddy-1' }, { body: 'caddy-2' }]);
  const [image1] = await prebuilt(ctx, app, repo);
  const port = await freePort();
  const spec = { ...gitApp(app, 'unused', port), source: { kind: 'image' as const, image: image1!, pull: 'missing' as const } };
  const services = await createTestServices({ apps: [spec], env: { DECKHAND_PROXY: 'caddy', DECKHAND_DRAIN: '500ms' } });
  ctx.defer(() => services.dispose());
  const proxy = services.managedProxy!;
  const timings: number[] = [];
  const point = proxy.point.bind(proxy);
  proxy.point = async (...args) => {
    const t = performance.now();
    await point(...args);
    timings.push(performance.now() - t);
  };
  await services.deploys.deploy({ app, ref: '1', actor: 'bench', trigger: 'cli' });
  timings.length = 0;
  const load = steadyLoad(port, { rate: 60, maxMs: 120_000 });
  for (let i = 0; i < ctx.samples(10, 3); i += 1) {
    const d = await services.deploys.deploy({ app, ref: i % 2 ? '1' : '2', actor: 'bench', trigger: 'cli', force: true });
    if (d.status !== 'succeeded') throw new Error(`deploy failed: ${d.error}`);
  }
  const rate = load.rate();
  const seen = await load.stop();
  const restarts: number[] = [];
  const watchdog = createWatchdog(services, 0, async () => undefined);
  for (let i = 0; i < ctx.samples(3, 1); i += 1) {
    process.kill(proxy.caddy.pid()!, 'SIGKILL');
    const t = performance.now();
    await watchdog.checkNow();
    if ((await get(port)).status !== 200) throw new Error('Caddy came back without the route');
    restarts.push(performance.now() - t);
  }
  return [
    { figure: "a switch through deckhand's own Caddy (the admin call)", samples: timings, goal: '(README Benchmarks)', note: `${seen.failures.length} of ${seen.total} requests failed around the switches (${rate.toFixed(0)} req/s, ${seen.keepAlive} on keep-alive, ${seen.retriedIdleClose} sent again after an idle close)` },
    { figure: "deckhand's own Caddy killed → serving again (one watchdog pass)", samples: restarts, goal: '(README Benchmarks)' },
  ];
}

/** A version that serves, then breaks 2 s after it started (its files vanish), is sent back by itself. */
async function revert(ctx: BenchContext): Promise<Row> {
  const app = ctx.name('revert');
  const repo = benchRepo(ctx, [
    { body: 'good' },
    { body: 'broken', files: { 'start.sh': 'exec /bin/busybox sh -c "/bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www & /bin/busybox sleep 2; /bin/busybox rm -f /www/healthz /www/index.html; wait"\n' } },
  ]);
  const [good] = await prebuilt(ctx, app, repo);
  const port = await freePort();
  const base = gitApp(app, 'unused', port);
  const spec = { ...base, run: { ...base.run, watchMs: 20_000 }, source: { kind: 'image' as const, image: good!, pull: 'missing' as const } };
  const services = await createTestServices({ apps: [spec], env: { DECKHAND_PROXY: 'caddy', DECKHAND_DRAIN: '200ms' } });
  ctx.defer(() => services.dispose());
  const reverts: number[] = [];
  let failed = 0;
  await services.deploys.deploy({ app, ref: '1', actor: 'bench', trigger: 'cli', force: true });
  for (let i = 0; i < ctx.samples(2, 1); i += 1) {
    let firstFailure: number | undefined;
    let backAt: number | undefined;
    let stop = false;
    const watcher = (async () => {
      while (!stop && backAt === undefined) {
        const answer = await get(port).catch(() => ({ status: 0, body: '' }));
        if (answer.status !== 200 && firstFailure === undefined) firstFailure = performance.now();
        if (answer.status !== 200 && backAt === undefined) failed += 1;
        if (firstFailure !== undefined && answer.status === 200 && answer.body !== 'broken') backAt = performance.now();
      }
    })();
    const d = await services.deploys.deploy({ app, ref: '2', actor: 'bench', trigger: 'cli', force: true });
    if (d.status !== 'reverted') throw new Error(`the broken version ended ${d.status}, not reverted`);
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await watcher;
    if (firstFailure !== undefined && backAt !== undefined) reverts.push(backAt - firstFailure);
    await services.controls.unlock(app, 'bench');
  }
  return { figure: 'watch-window revert: first failed request → previous version again', samples: reverts, goal: '(README Benchmarks)', note: `${failed} requests of a tight polling loop failed while the broken version served` };
}
