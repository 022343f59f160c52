import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeAppArtifacts, removeImageAndContainers } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

/**
 * A build of a commit Docker has built before is Docker's cache and nothing else, as a `docker build` of the same tree
 * would be: deckhand's image labels depend on the commit only (the deployment id is on the container), so no step
 * of a rebuild runs a container, and the image is byte-identical (same id).
 */
describe.skipIf(!(await haveDocker()))('rebuilding a commit reuses Docker\'s layer cache entirely', () => {
  const app = `it-bcache-${process.pid}`;
  let repo: TestRepo;
  let services: TestServices;
  let port: number;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'c1' }, { body: 'c2' }]);
    port = await freePort();
    services = await createTestServices({ apps: [gitApp(app, repo.url, port)] });
    services.bus.subscribe((event) => {
      if (event.type === 'log') lines.set(event.deploymentId, [...(lines.get(event.deploymentId) ?? []), event.line]);
    });
  });
  afterAll(async () => {
    await removeAppArtifacts([app]);
    await services?.dispose();
    repo?.cleanup();
  });

  // Build output reaches the event bus (the CLI, the thread), not the event rows.
  const lines = new Map<number, string[]>();
  const buildLog = (id: number) => lines.get(id) ?? [];

  it('a second deploy of the same commit runs no build step and yields the same image', async () => {
    const d1 = await services.deploys.deploy({ app, ref: repo.commits[0]!, actor: 'U-a', trigger: 'cli' });
    const d2 = await services.deploys.deploy({ app, ref: repo.commits[0]!, actor: 'U-a', trigger: 'cli' });
    expect([d1.status, d2.status]).toEqual(['succeeded', 'succeeded']);
    const first = buildLog(d1.id);
    const second = buildLog(d2.id);
    // The first build ran the label steps in containers of their own (the test can fail).
    expect(first.filter((line) => line.includes('Running in')).length).toBeGreaterThan(0);
    expect(second.filter((line) => line.includes('Using cache')).length).toBeGreaterThan(0);
    expect(second.filter((line) => line.includes('Running in'))).toEqual([]);
    expect(d2.imageId).toBe(d1.imageId);
    expect((await get(port)).body).toBe('c1');
  });

  it('deploys sharing that image roll back like any other: after a prune, by a rebuild', async () => {
    const d1 = (await services.store.list(app, 10)).at(-1)!;
    const d3 = await services.deploys.deploy({ app, ref: repo.commits[1]!, actor: 'U-a', trigger: 'cli' });
    expect(d3.status).toBe('succeeded');
    expect((await get(port)).body).toBe('c2');
    // c1's image gone as a prune leaves it: the rollback to the first c1 deploy must rebuild it.
    await removeImageAndContainers(d1.imageId!);
    const rebuilt = await services.rollbacks.rollback(app, d1.id, 'U-a');
    expect(rebuilt.deployment).toMatchObject({ status: 'succeeded', rollbackSource: 'rebuild_from_source' });
    expect((await get(port)).body).toBe('c1');
  });
});
