import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { haveDocker } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = await haveDocker();

/** What Docker itself says an image alone takes (`docker system df -v` "unique size"): Size - SharedSize. */
async function dockerUniqueSize(imageId: string): Promise<number> {
  const df = (await docker().df()) as { Images: Array<{ Id: string; Size: number; SharedSize: number }> };
  const image = df.Images.find((i) => i.Id === imageId);
  if (!image) throw new Error(`docker system df does not list ${imageId}`);
  return image.Size - image.SharedSize;
}

describe.skipIf(!enabled)('prune bytes on real images that share a base layer', () => {
  const app = `f-status-bytes-${process.pid}`;
  let repo: TestRepo;
  let services: TestServices;
  const images: string[] = [];

  beforeAll(async () => {
    // Every release copies the same 2 MB busybox first (one shared layer), then its own few bytes of www and start.sh.
    repo = createTestRepo([1, 2, 3, 4].map((n) => ({ body: `bytes ${n}` })));
    services = await createTestServices({ apps: [{ ...gitApp(app, repo.url, await freePort()), retention: { keepLast: 1, keepDays: 0 } }] });
    for (const sha of repo.commits) {
      const d = await services.deploys.deploy({ app, ref: sha, actor: 'cli:ops', trigger: 'cli' });
      expect(d.status).toBe('succeeded');
      images.push(d.imageId!);
    }
  }, 120_000);

  afterAll(async () => {
    await removeAppArtifacts([app]);
    await services?.dispose();
    repo?.cleanup();
  });

  it('the images really share their base layer (else this test proves nothing)', async () => {
    const [a, b] = await Promise.all(images.slice(0, 2).map(async (id) => (await docker().getImage(id).inspect()).RootFS.Layers!));
    expect(a![0]).toBe(b![0]);
    expect(a!.slice(1)).not.toEqual(b!.slice(1));
  });

  it('a dry run says it would free the pruned images\' own layers, as docker system df counts them, not their sizes', async () => {
    const report = await services.prune.run({ app, dryRun: true, actor: 'cli:ops' });
    const [r] = report.apps;
    const pruned = r!.decisions.filter((d) => d.action === 'prune');
    expect(pruned.map((d) => d.imageId).sort()).toEqual([images[0], images[1]].sort());
    const unique = (await dockerUniqueSize(images[0]!)) + (await dockerUniqueSize(images[1]!));
    const summed = pruned.reduce((n, d) => n + d.sizeBytes, 0);
    expect(r!.bytesToFree).toBe(unique);
    expect(r!.bytesToFree).toBeGreaterThan(0);
    // The old count: two full copies of the 2 MB base that the kept images still use.
    expect(summed).toBeGreaterThan(2 * 1_900_000);
    expect(r!.bytesToFree).toBeLessThan(summed / 100);
    // On disk: the base once, plus each image's own few bytes.
    expect(r!.bytesOnDisk).toBeLessThan(r!.decisions.reduce((n, d) => n + d.sizeBytes, 0) / 3);
    expect(r!.bytesOnDisk).toBeGreaterThan(1_900_000);
  });

  it('a real run frees what the dry run said, and the base layer stays for the kept images', async () => {
    const planned = (await services.prune.run({ app, dryRun: true, actor: 'cli:ops' })).apps[0]!.bytesToFree;
    const report = await services.prune.run({ app, dryRun: false, actor: 'cli:ops' });
    const [r] = report.apps;
    expect(r!.failures).toEqual([]);
    expect(r!.removedImages).toBe(2);
    expect(r!.bytesFreed).toBe(planned);
    expect(await services.runtime.inspectImage(images[0]!)).toBeUndefined();
    const kept = await docker().getImage(images[3]!).inspect();
    expect(kept.Size).toBeGreaterThan(1_900_000);
  });
});
