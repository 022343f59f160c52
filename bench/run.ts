/**
 * `npm run bench`: how fast deckhand's own work is. Pure validation, the store on embedded PGlite, and, when a Docker
 * engine is reachable, a full deploy of a prebuilt image (start beside, health check, switch, stop old) through
 * Caddy and through the recreate strategy. Prints one line per measure; bounded in count.
 */
import { performance } from 'node:perf_hooks';
import { DrizzleDeploymentStore } from '../src/adapters/db/deployments-repo.js';
import { gitRefProblem } from '../src/domain/refs/git-ref.js';
import { parseImageRef } from '../src/domain/refs/image-ref.js';
import { planRetention } from '../src/domain/retention/policy.js';
import { startCaddy } from '../test/helpers/caddy.js';
import { createTestDatabase } from '../test/helpers/db.js';
import { buildImageFromRepo, removeAppArtifacts } from '../test/helpers/docker.js';
import { createTestRepo } from '../test/helpers/git-repo.js';
import { haveDocker } from '../test/helpers/infra.js';
import { freePort } from '../test/helpers/ports.js';
import { get } from '../test/helpers/http.js';
import { steadyLoad } from '../test/helpers/steady-load.js';
import { onPath } from '../src/adapters/proxy/managed-caddy.js';
import { createWatchdog } from '../src/jobs/watchdog.js';
import { createTestServices, gitApp } from '../test/helpers/services.js';

function report(name: string, samples: number[], unit = 'ms') {
  const sorted = [...samples].sort((a, b) => a - b);
  const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  console.log(`${name.padEnd(48)} n=${String(samples.length).padStart(5)}  p50=${p(0.5).toFixed(3)} ${unit}  p95=${p(0.95).toFixed(3)} ${unit}  max=${sorted.at(-1)!.toFixed(3)} ${unit}`);
}

function time(fn: () => void, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const t = performance.now();
    fn();
    out.push((performance.now() - t) * 1000);
  }
  return out;
}

report('validate git ref (µs)', time(() => gitRefProblem('release/2026.11-hotfix'), 20_000), 'µs');
report('parse image reference (µs)', time(() => parseImageRef('127.0.0.1:5000/team/web:v1.2.3'), 20_000), 'µs');

{
  const history = Array.from({ length: 1000 }, (_, i) => ({
    id: i + 1, app: 'bench', status: 'succeeded' as const, source: 'git' as const, gitRef: 'main', commitSha: `c${i}`, commitSubject: null, imageRef: null, imageId: `sha256:${i}`,
    containerId: null, upstreamPort: null, trigger: 'cli' as const, actor: 'b', rollbackOf: null, rollbackSource: null, registryRef: null, envSnapshot: null,
    errorCode: null, error: null, logTail: null, createdAt: new Date(Date.now() - i * 3_600_000), startedAt: null, finishedAt: new Date(Date.now() - i * 3_600_000),
  }));
  const input = { policy: { keepLast: 10, keepDays: 30 }, now: new Date(), deployments: history, images: history.map((d) => ({ imageId: d.imageId, sizeBytes: 1 })), currentId: 1, pinnedIds: [500], unfetchableCommits: ['c900'] };
  const samples: number[] = [];
  for (let i = 0; i < 20; i += 1) {
    const t = performance.now();
    planRetention(input);
    samples.push(performance.now() - t);
  }
  report('retention plan over 1,000 deploys', samples);
}

const db = await createTestDatabase('pglite');
const store = new DrizzleDeploymentStore(db.db);
const cycle: number[] = [];
for (let i = 0; i < 200; i += 1) {
  const t = performance.now();
  const d = await store.create({ app: 'bench', status: 'building', source: 'git', trigger: 'cli', actor: 'bench' });
  await store.update(d.id, { status: 'succeeded', finishedAt: new Date() });
  await store.current('bench');
  cycle.push(performance.now() - t);
}
report('PGlite create+finish+current deployment', cycle);
const list: number[] = [];
for (let i = 0; i < 100; i += 1) {
  const t = performance.now();
  await store.list('bench', 20);
  list.push(performance.now() - t);
}
report('PGlite list 20 deploys', list);
await db.drop();

if (await haveDocker()) {
  const app = `bench-${process.pid}`;
  const repo = createTestRepo([{ body: 'b1' }, { body: 'b2' }]);
  const image = `deckhand-bench/${app}`;
  const caddy = await startCaddy();
  for (const mode of ['caddy', 'recreate'] as const) {
    await buildImageFromRepo(repo.dir, repo.commits[0]!, `${image}:1`, app);
    await buildImageFromRepo(repo.dir, repo.commits[1]!, `${image}:2`, app);
    const spec = { ...gitApp(app, 'unused', await freePort()), source: { kind: 'image' as const, image: `${image}:1`, pull: 'missing' as const } };
    const services = await createTestServices({ apps: [spec], caddyAdminUrl: mode === 'caddy' ? caddy.adminUrl : undefined, env: { DECKHAND_DRAIN: '0s' } });
    const samples: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const t = performance.now();
      const d = await services.deploys.deploy({ app, ref: i % 2 ? '2' : '1', actor: 'bench', trigger: 'cli' });
      if (d.status !== 'succeeded') throw new Error(`bench deploy failed: ${d.error}`);
      samples.push(performance.now() - t);
    }
    report(`deploy a local image end to end (${mode})`, samples);
    // The 3 a.m. number: a rollback that reuses the image still on the host.
    const rows = await services.store.list(app, 10);
    const rollbacks: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const current = await services.store.current(app);
      const target = rows.find((d) => d.status === 'succeeded' && d.imageId !== current?.imageId)!;
      const t = performance.now();
      const { deployment } = await services.rollbacks.rollback(app, target.id, 'bench');
      if (deployment.status !== 'succeeded' || deployment.rollbackSource !== 'reuse_image') throw new Error(`bench rollback failed: ${deployment.error}`);
      rollbacks.push(performance.now() - t);
    }
    report(`rollback reusing the local image (${mode})`, rollbacks);
    await removeAppArtifacts([app]);
    await services.dispose();
  }
  await caddy.stop();
  if (onPath('caddy')) await benchOwnCaddy(app, image, repo.dir, repo.commits);
  if (onPath('caddy')) await benchRevert(`${app}-revert`, `${image}-revert`, repo.dir, repo.commits[0]!);
  repo.cleanup();
} else {
  console.log('deploy benchmarks skipped: no Docker engine');
}

/** deckhand's own Caddy: the switch itself (one admin call), failed requests around it, and Caddy brought back after a kill. */
async function benchOwnCaddy(app: string, image: string, repoDir: string, commits: string[]) {
  await buildImageFromRepo(repoDir, commits[0]!, `${image}:1`, app);
  await buildImageFromRepo(repoDir, commits[1]!, `${image}:2`, app);
  const port = await freePort();
  const spec = { ...gitApp(app, 'unused', port), source: { kind: 'image' as const, image: `${image}:1`, pull: 'missing' as const } };
  const services = await createTestServices({ apps: [spec], env: { DECKHAND_PROXY: 'caddy', DECKHAND_DRAIN: '500ms' } });
  try {
    const proxy = services.managedProxy!;
    const switches: number[] = [];
    const point = proxy.point.bind(proxy);
    proxy.point = async (...args) => {
      const t = performance.now();
      await point(...args);
      switches.push(performance.now() - t);
    };
    await services.deploys.deploy({ app, ref: '1', actor: 'bench', trigger: 'cli' });
    switches.length = 0;
    const load = steadyLoad(port, { rate: 60, maxMs: 120_000 });
    for (let i = 0; i < 10; i += 1) {
      const d = await services.deploys.deploy({ app, ref: i % 2 ? '1' : '2', actor: 'bench', trigger: 'cli', force: true });
      if (d.status !== 'succeeded') throw new Error(`bench deploy failed: ${d.error}`);
    }
    const rate = load.rate();
    const seen = await load.stop();
    report("switch through deckhand's own Caddy (admin call)", switches);
    console.log(`${'  failed requests over those switches'.padEnd(48)} ${seen.failures.length} of ${seen.total} (${rate.toFixed(0)} req/s, ${seen.keepAlive} on keep-alive, ${seen.retriedIdleClose} sent again after Caddy closed an idle keep-alive connection)`);
    const restarts: number[] = [];
    const watchdog = createWatchdog(services, 0, async () => undefined);
    for (let i = 0; i < 3; i += 1) {
      process.kill(proxy.caddy.pid()!, 'SIGKILL');
      const t = performance.now();
      await watchdog.checkNow();
      if ((await get(port)).status !== 200) throw new Error('bench: Caddy came back without the route');
      restarts.push(performance.now() - t);
    }
    report('Caddy killed -> serving again (watchdog pass)', restarts);
  } finally {
    await removeAppArtifacts([app]);
    await services.dispose();
  }
}

/**
 * The watch window's revert through deckhand's own Caddy: a version that serves, then breaks 2 s after it started
 * (its files vanish), is sent back by itself. Measured from the first request users see fail to the first request
 * answered by the previous version again: detection (3 failed probes, one a second) plus the switch back.
 */
async function benchRevert(app: string, image: string, repoDir: string, goodCommit: string) {
  const breaking = createTestRepo([{ body: 'broken', files: { 'start.sh': 'exec /bin/busybox sh -c "/bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www & /bin/busybox sleep 2; /bin/busybox rm -f /www/healthz /www/index.html; wait"\n' } }]);
  await buildImageFromRepo(repoDir, goodCommit, `${image}:good`, app);
  await buildImageFromRepo(breaking.dir, breaking.commits[0]!, `${image}:broken`, app);
  const port = await freePort();
  const base = gitApp(app, 'unused', port);
  const spec = { ...base, run: { ...base.run, watchMs: 20_000 }, source: { kind: 'image' as const, image: `${image}:good`, pull: 'missing' as const } };
  const services = await createTestServices({ apps: [spec], env: { DECKHAND_PROXY: 'caddy', DECKHAND_DRAIN: '200ms' } });
  const reverts: number[] = [];
  let failedBeforeRevert = 0;
  try {
    await services.deploys.deploy({ app, ref: 'good', actor: 'bench', trigger: 'cli', force: true });
    for (let i = 0; i < 2; i += 1) {
      let firstFailure: number | undefined;
      let backAt: number | undefined;
      let stop = false;
      const watcher = (async () => {
        while (!stop && backAt === undefined) {
          const answer = await get(port).catch(() => ({ status: 0, body: '' }));
          if (answer.status !== 200 && firstFailure === undefined) firstFailure = performance.now();
          if (answer.status !== 200 && backAt === undefined) failedBeforeRevert += 1;
          if (firstFailure !== undefined && answer.status === 200 && answer.body !== 'broken') backAt = performance.now();
        }
      })();
      const d = await services.deploys.deploy({ app, ref: 'broken', actor: 'bench', trigger: 'cli', force: true });
      if (d.status !== 'reverted') throw new Error(`bench: the broken version ended ${d.status}, not reverted`);
      await new Promise((r) => setTimeout(r, 300));
      stop = true;
      await watcher;
      if (firstFailure !== undefined && backAt !== undefined) reverts.push(backAt - firstFailure);
      await services.controls.unlock(app, 'bench');
    }
    report('revert: first failed request -> previous version again', reverts);
    console.log(`${'  requests failed while the broken version served'.padEnd(48)} ${failedBeforeRevert} (counted until traffic was back on the previous version)`);
  } finally {
    await removeAppArtifacts([app]);
    await services.dispose();
    breaking.cleanup();
  }
}
