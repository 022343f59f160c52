/**
 * The deploy engine in process (kept from the earlier bench; README's "Benchmarks" table): a deploy of a local
 * image end to end and a rollback reusing it, through an operator's Caddy and through recreate, with the drain at 0.
 */
import { performance } from 'node:perf_hooks';
import { startCaddy } from '../../test/helpers/caddy.js';
import { docker } from '../../test/helpers/docker.js';
import { freePort } from '../../test/helpers/ports.js';
import { createTestServices, gitApp } from '../../test/helpers/services.js';
import type { Row } from '../report.js';
import { benchRepo, prebuilt } from '../support/apps.js';
import type { Figure } from '../support/context.js';

export const engine: Figure = {
  title: 'deploy engine in process (Caddy and recreate)',
  async run(ctx) {
    const app = ctx.name('engine');
    const repo = benchRepo(ctx, [{ body: 'engine-1' }, { body: 'engine-2' }]);
    const [image1] = await prebuilt(ctx, app, repo);
    const caddy = await startCaddy();
    ctx.defer(() => caddy.stop());
    const rows: Row[] = [];
    for (const mode of ['caddy', 'recreate'] as const) {
      const spec = { ...gitApp(app, 'unused', await freePort()), source: { kind: 'image' as const, image: image1!, pull: 'missing' as const } };
      const services = await createTestServices({ apps: [spec], caddyAdminUrl: mode === 'caddy' ? caddy.adminUrl : undefined, env: { DECKHAND_DRAIN: '0s' } });
      try {
        const deploys: number[] = [];
        for (let i = 0; i < ctx.samples(6, 2); i += 1) {
          const t = performance.now();
          const d = await services.deploys.deploy({ app, ref: i % 2 ? '2' : '1', actor: 'bench', trigger: 'cli', force: true });
          if (d.status !== 'succeeded') throw new Error(`deploy failed: ${d.error}`);
          deploys.push(performance.now() - t);
        }
        rows.push({ figure: `deploy of a local image end to end (${mode}, drain 0)`, samples: deploys, floor: ctx.floors.naive, goal: '(README Benchmarks)' });
        const history = await services.store.list(app, 10);
        const rollbacks: number[] = [];
        for (let i = 0; i < ctx.samples(4, 2); i += 1) {
          const current = await services.store.current(app);
          const target = history.find((d) => d.status === 'succeeded' && d.imageId !== current?.imageId)!;
          const t = performance.now();
          const { deployment } = await services.rollbacks.rollback(app, target.id, 'bench');
          if (deployment.status !== 'succeeded' || deployment.rollbackSource !== 'reuse_image') throw new Error(`rollback failed: ${deployment.error}`);
          rollbacks.push(performance.now() - t);
        }
        rows.push({ figure: `rollback reusing the local image, in process (${mode}, drain 0)`, samples: rollbacks, floor: ctx.floors.bare, goal: '(README Benchmarks)' });
      } finally {
        await services.dispose();
        const engine = docker();
        for (const c of await engine.listContainers({ all: true, filters: { label: [`deckhand.app=${app}`] } })) await engine.getContainer(c.Id).remove({ force: true });
      }
    }
    return rows;
  },
};
