/**
 * Retention: the pure plan over 10k images × 10k deploys, and a real prune dry-run
 * (`services.prune.run`, Docker and the git mirror included) divided by the app's deploy count.
 */
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import type { Deployment } from '../../src/domain/deployment.js';
import { planRetention } from '../../src/domain/retention/policy.js';
import { createTestServices } from '../../test/helpers/services.js';
import type { Row } from '../report.js';
import { benchGitApp, benchRepo } from '../support/apps.js';
import type { BenchContext, Figure } from '../support/context.js';
import { repeat } from '../support/measure.js';

export const retention: Figure = {
  title: 'retention plan and prune dry-run',
  async run(ctx) {
    return [plan(ctx), await pruneDryRun(ctx)];
  },
};

function plan(ctx: BenchContext): Row {
  const size = 10_000;
  const now = Date.now();
  const history: Deployment[] = Array.from({ length: size }, (_, i) => ({
    id: i + 1, app: 'bench', status: i % 10 === 9 ? 'failed' : 'succeeded', source: 'git', gitRef: 'main', commitSha: `c${i}`, commitSubject: null, imageRef: null,
    imageId: `sha256:${i}`, containerId: null, upstreamPort: null, trigger: 'cli', actor: 'b', rollbackOf: null, rollbackSource: null, registryRef: null,
    envSnapshot: null, errorCode: null, error: null, logTail: null, createdAt: new Date(now - i * 3_600_000), startedAt: null, finishedAt: new Date(now - i * 3_600_000),
  }));
  const input = { policy: { keepLast: 10, keepDays: 30 }, now: new Date(now), deployments: history, images: history.map((d) => ({ imageId: d.imageId!, sizeBytes: 1 })), currentId: 1, pinnedIds: [size / 2], unfetchableCommits: [`c${size - 10}`] };
  const samples: number[] = [];
  for (let i = 0; i < ctx.samples(2, 1); i += 1) {
    const t = performance.now();
    planRetention(input);
    samples.push(performance.now() - t);
  }
  const k = `${size / 1000}k`;
  return { figure: `retention plan, ${k} images × ${k} deploys`, samples, goal: '≤ 200 ms' };
}

async function pruneDryRun(ctx: BenchContext): Promise<Row> {
  const repo = benchRepo(ctx, Array.from({ length: ctx.quick ? 10 : 40 }, (_, i) => ({ body: `prune-${i}` })));
  const app = await benchGitApp(ctx, ctx.name('prune'), repo);
  const services = await createTestServices({ apps: [app] });
  ctx.defer(() => services.dispose());
  const deploys = ctx.quick ? 200 : 1_000;
  const commits = `{${repo.commits.join(',')}}`;
  await services.database.db.execute(sql`
    insert into deployments (app, status, source, git_ref, commit_sha, image_id, trigger, actor, created_at, started_at, finished_at)
    select ${app.name}, case when g % 10 = 0 then 'failed' else 'succeeded' end, 'git', 'main', (${commits}::text[])[1 + g % ${repo.commits.length}],
           'sha256:' || md5(g::text) || md5((g + 3)::text), 'cli', 'bench', now() - make_interval(hours => ${deploys} - g), now() - make_interval(hours => ${deploys} - g),
           now() - make_interval(hours => ${deploys} - g)
    from generate_series(1, ${deploys}) as g`);
  await services.prune.run({ app: app.name, dryRun: true, actor: 'bench' });
  const samples = await repeat(ctx.samples(5, 2), async () => {
    const t = performance.now();
    const report = await services.prune.run({ app: app.name, dryRun: true, actor: 'bench' });
    if (report.apps.length !== 1) throw new Error(`prune dry-run reported ${report.apps.length} apps`);
    return (performance.now() - t) / deploys;
  });
  return {
    figure: 'prune dry-run, per deploy',
    samples,
    goal: 'no lock while scanning; one git process per app',
    note: `${deploys} deploys over ${repo.commits.length} commits (first, untimed run fetched the mirror); lock and git processes not observed here`,
  };
}
