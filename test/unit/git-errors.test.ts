import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mirrorDiskFull } from '../../src/adapters/git/git-disk.js';
import { GitSource, gitMessage } from '../../src/adapters/git/git-source.js';
import { isDeckhandError } from '../../src/domain/errors.js';
import { createTestRepo } from '../helpers/git-repo.js';
import { gitApp } from '../helpers/services.js';

/** Item 9b: a git failure shows what git said (its fatal lines, redacted), not the chatter before it. */
describe('git errors carry git\'s own message', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'deckhand-git-errors-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps the fatal lines, drops the "Cloning into" line, and redacts every URL credential', () => {
    const text = "Cloning into bare repository '/x'...\nfatal: unable to access 'https://bot:s3cret@git.example/a.git/': timeout\nfatal: also https://u:p@other.example/b\n";
    expect(gitMessage(new Error(text))).toBe("fatal: unable to access 'https://***@git.example/a.git/': timeout fatal: also https://***@other.example/b");
    expect(gitMessage(new Error('\nsomething odd\nlast words\n'))).toBe('last words');
  });

  it('a fetch of a repository that does not exist says so, with git\'s words', async () => {
    const source = new GitSource(dataDir);
    const app = gitApp('f-docker-git-missing', `file://${join(dataDir, 'no-such-repo')}`, 1);
    const error = await source.resolve(app, 'main').catch((e: unknown) => e);
    expect(isDeckhandError(error, 'source_unavailable')).toBe(true);
    expect((error as Error).message).toMatch(/^Cannot fetch file:\/\/\S+no-such-repo: fatal: '\S+no-such-repo' does not appear to be a git repository/);
    expect((error as Error).message).not.toContain('Cloning into');
  });

  it('an unknown ref is ref_not_found; an archive of a missing commit fails its stream with git\'s message', async () => {
    const repo = createTestRepo([{ body: 'v1' }]);
    try {
      const source = new GitSource(dataDir);
      const app = gitApp('f-docker-git-repo', repo.url, 1);
      await expect(source.resolve(app, 'no-such-branch')).rejects.toMatchObject({ code: 'ref_not_found' });
      const stream = await source.archive(app, 'f'.repeat(40));
      const failure = await new Promise<unknown>((resolve) => {
        stream.on('error', resolve);
        stream.on('end', () => resolve(undefined));
        stream.resume();
      });
      expect(isDeckhandError(failure, 'source_unavailable')).toBe(true);
      expect((failure as Error).message).toMatch(/^git could not archive fffffff in the mirror of file:\/\/\S+: fatal: /);
    } finally {
      repo.cleanup();
    }
  });
});

describe('a git write that the disk refused is disk_full, with the mirrors to free', () => {
  it("reads git's own words, a quota, and Node's ENOSPC; leaves every other failure alone", () => {
    const full = mirrorDiskFull(new Error('fatal: unable to write loose object file: No space left on device\nfatal: unpack-objects failed'), '/data/mirrors');
    expect(full?.code).toBe('disk_full');
    expect(full?.message).toBe("The disk is full: no space left on device writing in /data/mirrors. Free space on that disk (`df -h /data/mirrors` shows it; Docker's images are often what fills it: `docker system df`), then retry.");
    expect(mirrorDiskFull(new Error('error: unable to create temporary file: Disk quota exceeded'), '/m')?.message).toMatch(/^The disk is full: the disk quota is used up writing in \/m\./);
    const node = Object.assign(new Error('ENOSPC: no space left on device, mkdir'), { code: 'ENOSPC', path: '/data/mirrors' });
    expect(mirrorDiskFull(node, '/elsewhere')?.message).toMatch(/^The disk is full: no space left on device writing in \/data\./);
    expect(mirrorDiskFull(new Error("fatal: unable to access 'https://git.example/a.git/': Could not resolve host"), '/m')).toBeUndefined();
  });
});
