import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { docker, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type RegistryProcess, startRegistry } from '../helpers/registry.js';
import { HttpRegistryClient } from '../../src/adapters/http/registry-client.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = await haveDocker();

describe.skipIf(!enabled)('retention on a real Docker engine', () => {
  const app = `it-ret-${process.pid}`;
  let repo: TestRepo;
  let registry: RegistryProcess;
  let services: TestServices;
  let port: number;
  const ids: number[] = [];
  const images: string[] = [];
  const io = { out: () => undefined, err: () => undefined };

  beforeAll(async () => {
    repo = createTestRepo([1, 2, 3, 4, 5, 6].map((n) => ({ body: `r${n}` })));
    registry = await startRegistry();
    port = await freePort();
    services = await createTestServices({ apps: [{ ...gitApp(app, repo.url, port), registry: `${registry.host}/${app}`, retention: { keepLast: 2, keepDays: 0 } }] });
    for (const sha of repo.commits) {
      const d = await services.deploys.deploy({ app, ref: sha, actor: 'U-ops', trigger: 'cli' });
      expect(d.status).toBe('succeeded');
      ids.push(d.id);
      images.push(d.imageId!);
    }
    await services.pins.pin({ app, deploymentId: ids[1]!, pinnedBy: 'U-ops', pinnedAt: new Date() });
  });

  afterAll(async () => {
    await removeAppArtifacts([app]);
    await services?.dispose();
    await registry?.stop();
    repo?.cleanup();
  });

  const present = async (id: string) => (await services.runtime.inspectImage(id)) !== undefined;

  it('a dry run plans without removing anything', async () => {
    const out: string[] = [];
    expect(await runCli(['prune', '--app', app, '--dry-run'], { io: { out: (t) => out.push(t), err: () => undefined }, services })).toBe(0);
    expect(out.join('\n')).toMatch(/would prune 3 image\(s\): outside_policy 3/);
    for (const id of images) expect(await present(id)).toBe(true);
  });

  it('prunes the oldest images, keeps the running, previous and pinned ones, and deletes pruned tags from the registry', async () => {
    const report = await services.prune.run({ app, dryRun: false, actor: 'U-ops' });
    const [r] = report.apps;
    expect(r!.failures).toEqual([]);
    expect(await Promise.all(images.map(present))).toEqual([false, true, false, false, true, true]);
    expect(r!.decisions.find((d) => d.imageId === images[5])!.reasons).toEqual(['running', 'keep_last']);
    expect(r!.decisions.find((d) => d.imageId === images[4])!.reasons).toEqual(['previous', 'keep_last']);
    expect(r!.decisions.find((d) => d.imageId === images[1])!.reasons).toEqual(['pinned']);
    expect(r!.bytesFreed).toBeGreaterThan(0);
    expect(r!.removedContainers).toBe(3);
    const client = new HttpRegistryClient();
    expect(r!.registryDeleted.sort()).toEqual([0, 2, 3].map((i) => `${registry.host}/${app}:deploy-${ids[i]}`).sort());
    expect(await client.has(`${registry.host}/${app}:deploy-${ids[0]}`)).toBe(false);
    expect(await client.has(`${registry.host}/${app}:deploy-${ids[4]}`)).toBe(true);
    expect(r!.window).toEqual(expect.arrayContaining([
      { deploymentId: ids[5], path: 'running' },
      { deploymentId: ids[4], path: 'instant' },
      { deploymentId: ids[0], path: 'rebuild' },
    ]));
    const [audit] = await services.audit.list({ app, action: 'prune.run' });
    expect(audit?.details).toMatchObject({ dryRun: false });
    expect((await docker().listContainers({ all: true, filters: { label: [`deckhand.app=${app}`] } })).map((c) => c.Labels['deckhand.deployment']).sort()).toEqual([ids[1], ids[4], ids[5]].map(String).sort());
  });

  it('rolling back to a pruned deploy rebuilds from source; to a kept one reuses the image', async () => {
    const rebuilt = await services.rollbacks.rollback(app, ids[0]!, 'U-ops');
    expect(rebuilt.deployment).toMatchObject({ status: 'succeeded', rollbackSource: 'rebuild_from_source' });
    expect((await get(port)).body).toBe('r1');
    const reused = await services.rollbacks.rollback(app, ids[5]!, 'U-ops');
    expect(reused.deployment).toMatchObject({ status: 'succeeded', rollbackSource: 'reuse_image' });
    expect((await get(port)).body).toBe('r6');
  });

  it('two runs started together: one runs, the other says a run is in progress', async () => {
    const results = await Promise.allSettled([services.prune.run({ dryRun: true, actor: 'a' }), services.prune.run({ dryRun: true, actor: 'b' })]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    expect(refused.reason).toMatchObject({ code: 'prune_in_progress' });
    // The lease was released: the next run goes through.
    await expect(services.prune.run({ dryRun: true, actor: 'c' })).resolves.toMatchObject({ dryRun: true });
  });

  it('pin and unpin from the CLI', async () => {
    expect(await runCli(['pin', app, String(ids[2])], { io, services })).toBe(0);
    expect((await services.pins.list(app)).map((p) => p.deploymentId)).toEqual([ids[1], ids[2]]);
    expect(await runCli(['unpin', app, String(ids[2])], { io, services })).toBe(0);
    expect(await runCli(['pin', app, '999999'], { io, services })).toBe(1);
  });
});
