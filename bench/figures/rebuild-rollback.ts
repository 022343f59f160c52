/**
 * Rebuild rollback (the target's image is gone, no registry: deckhand rebuilds the commit from its git mirror)
 * beside a plain `docker build` of the same commit (git archive | dockerode buildImage, the builder deckhand uses,
 * with the labels deckhand sets: the app and the commit), both in the same host state:
 * - cold: no image of that commit on the host (layers shared with the serving version stay, as in production);
 * - warm: the target's image is gone but an image of the same tree is on the host, so every step is in Docker's
 *   layer cache (for both: deckhand's labels depend on the commit only).
 * The rollback is timed from the call to its result (in process, warm services, recreate strategy), and its build
 * alone from the build phase's start to the start phase (what the plain build compares with).
 */
import { performance } from 'node:perf_hooks';
import { docker, removeImageAndContainers, buildImageFromRepo } from '../../test/helpers/docker.js';
import { createTestServices } from '../../test/helpers/services.js';
import type { Row } from '../report.js';
import { benchGitApp, benchRepo } from '../support/apps.js';
import type { Figure } from '../support/context.js';

export const rebuildRollback: Figure = {
  title: 'rebuild rollback vs a plain docker build',
  async run(ctx) {
    const repo = benchRepo(ctx, [{ body: 'rebuild-v1' }, { body: 'rebuild-v2' }]);
    const app = await benchGitApp(ctx, ctx.name('rebuild'), repo);
    const services = await createTestServices({ apps: [app] });
    ctx.defer(() => services.dispose());
    const ids: number[] = [];
    let v1Image = '';
    for (const commit of repo.commits) {
      const d = await services.deploys.deploy({ app: app.name, ref: commit, actor: 'bench', trigger: 'cli' });
      if (d.status !== 'succeeded') throw new Error(`setup deploy failed: ${d.error}`);
      ids.push(d.id);
      v1Image ||= d.imageId!;
    }
    const plainTag = `deckhand-bench/${app.name}-plain:v1`;
    const plainBuild = async () => {
      const t = performance.now();
      await buildImageFromRepo(repo.dir, repo.commits[0]!, plainTag, app.name, { 'org.opencontainers.image.revision': repo.commits[0]! });
      return performance.now() - t;
    };
    const removePlain = () => docker().getImage(plainTag).remove({ force: true }).catch(() => undefined);
    const rollback = async (target: number, expect: 'rebuild_from_source' | 'reuse_image') => {
      const phases = new Map<string, number>();
      const off = services.bus.subscribe((event) => {
        if (event.type === 'phase' && !phases.has(event.phase)) phases.set(event.phase, performance.now());
      });
      const t = performance.now();
      const { deployment } = await services.rollbacks.rollback(app.name, target, 'bench').finally(off);
      if (deployment.status !== 'succeeded' || deployment.rollbackSource !== expect) throw new Error(`rollback to #${target}: ${deployment.status} via ${deployment.rollbackSource} (${deployment.error})`);
      const build = (phases.get('start') ?? Number.NaN) - (phases.get('build') ?? Number.NaN);
      return { ms: performance.now() - t, build, imageId: deployment.imageId! };
    };
    // Back to v2 (reuse), then v1's image removed with its stopped container: the next rollback to #v1 must rebuild.
    const dropV1 = async () => {
      await removeImageAndContainers(v1Image).catch(() => undefined);
    };
    const cold = { rollback: [] as number[], build: [] as number[], plain: [] as number[] };
    const warm = { rollback: [] as number[], build: [] as number[], plain: [] as number[] };
    for (let i = 0; i < ctx.samples(3, 1); i += 1) {
      await dropV1();
      await removePlain();
      cold.plain.push(await plainBuild());
      await removePlain();
      const c = await rollback(ids[0]!, 'rebuild_from_source');
      cold.rollback.push(c.ms);
      cold.build.push(c.build);
      await rollback(ids[1]!, 'reuse_image');
      v1Image = c.imageId;
      // Warm: the target's own image is gone, but an image of the same tree (the cold rebuild's) is on the host, as a
      // `docker build` of the commit would leave it: every step comes from the cache.
      const w = await rollback(ids[0]!, 'rebuild_from_source');
      warm.rollback.push(w.ms);
      warm.build.push(w.build);
      await rollback(ids[1]!, 'reuse_image');
      warm.plain.push(await plainBuild());
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
    // The rollback also starts, health-checks and switches: plain build + the bare floor is what it could be at best.
    const note = (plain: number) => `the rollback includes start, health and switch; plain build + floor = ${(plain + ctx.floors.bare.value).toFixed(0)} ms`;
    const rows: Row[] = [
      { figure: 'rebuild rollback, cold cache: its build phase', samples: cold.build, floor: { name: 'plain docker build (cold)', value: median(cold.plain) }, goal: '≤ 1.2× plain build' },
      { figure: 'rebuild rollback, warm cache: its build phase', samples: warm.build, floor: { name: 'plain docker build (warm)', value: median(warm.plain) }, goal: '≤ 1.2× plain build' },
      { figure: 'rebuild rollback, cold cache, call → result', samples: cold.rollback, floor: { name: 'plain build (cold) + floor', value: median(cold.plain) + ctx.floors.bare.value }, goal: 'build ≤ 1.2×, then start, health, switch', note: note(median(cold.plain)) },
      { figure: 'rebuild rollback, warm cache, call → result', samples: warm.rollback, floor: { name: 'plain build (warm) + floor', value: median(warm.plain) + ctx.floors.bare.value }, goal: 'build ≤ 1.2×, then start, health, switch', note: note(median(warm.plain)) },
    ];
    return rows;
  },
};
