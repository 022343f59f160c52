import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDeckhandError } from '../../src/domain/errors.js';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get, requestLoop } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';
import { fillDisk, mountTmpfs } from '../helpers/tmpfs.js';

const work = mkdtempSync(join(tmpdir(), 'f-mirror-full-'));
const disk = join(work, 'disk');
mkdirSync(disk);
const enabled = (await haveDocker()) && (await havePostgres()) && mountTmpfs(disk, '64m');

/**
 * The disk under deckhand's data dir (where the git mirrors live) is full; the store is Postgres, elsewhere, and works.
 * A deploy of a commit the mirror lacks needs a fetch, which git cannot write. It was told as `source_unavailable`
 * ("Cannot fetch file://…: fatal: …"), the story of a git server that could not be reached, with a Retry button that
 * could only fail again. Now it is `disk_full`, naming the mirrors' directory and what to do. The serving version is
 * untouched throughout (a request loop), and once space is freed the same deploy works. Real git, Docker, Postgres
 * and a real tmpfs filled to the last byte.
 */
describe.skipIf(!enabled)("a full disk under the git mirrors", () => {
  const app = `f-mirror-full-${process.pid}`;
  const dataDir = join(disk, 'data');
  const filler = join(disk, 'filler');
  let repo: TestRepo;
  let services: TestServices;
  let port: number;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }]);
    port = await freePort();
    services = await createTestServices({ apps: [gitApp(app, repo.url, port)], env: { DECKHAND_DATA_DIR: dataDir } });
  }, 60_000);

  afterAll(async () => {
    await services?.dispose().catch(() => undefined);
    await removeAppArtifacts([app]).catch(() => undefined);
    repo?.cleanup();
    if (enabled) execFileSync('umount', ['-l', disk]);
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('a deploy whose fetch cannot be written fails disk_full, names the mirrors, changes nothing; with space, it works', async () => {
    const v1 = await services.deploys.deploy({ app, ref: 'main', actor: 'U-ops', trigger: 'cli' });
    expect(v1.status, v1.error ?? '').toBe('succeeded');
    const v2sha = repo.commit({ body: 'v2', files: { 'www/big.txt': 'x'.repeat(2 * 1024 * 1024) } });
    fillDisk(filler);

    const loop = requestLoop(port, { maxMs: 60_000 });
    const failure = await services.deploys.deploy({ app, ref: v2sha, actor: 'U-ops', trigger: 'cli' }).then(
      (d) => d,
      (error: unknown) => error,
    );
    const seen = await loop.stop();
    const mirrors = join(dataDir, 'mirrors');
    const said = isDeckhandError(failure) ? { code: failure.code, message: failure.message } : { code: (failure as { errorCode?: string }).errorCode, message: (failure as { error?: string }).error };
    expect(said.code, said.message).toBe('disk_full');
    expect(said.message).toMatch(new RegExp(`^The disk is full: no space left on device writing in ${mirrors}\\. Free space on that disk \\(\`df -h ${mirrors}\` shows it`));
    expect(seen.failures).toEqual([]);
    expect([...seen.bodies.keys()]).toEqual(['v1']);
    expect((await services.store.current(app))?.id).toBe(v1.id);

    rmSync(filler);
    const v2 = await services.deploys.deploy({ app, ref: v2sha, actor: 'U-ops', trigger: 'cli' });
    expect(v2.status, v2.error ?? '').toBe('succeeded');
    expect(await get(port)).toEqual({ status: 200, body: 'v2' });
  }, 180_000);
});
