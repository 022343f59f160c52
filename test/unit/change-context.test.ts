import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GitSource } from '../../src/adapters/git/git-source.js';
import { changeContext } from '../../src/domain/approvals/change-context.js';
import { createTestRepo } from '../helpers/git-repo.js';
import { gitApp } from '../helpers/services.js';

describe('change context from a real git mirror', () => {
  const repo = createTestRepo(Array.from({ length: 14 }, (_, i) => ({ body: `v${i + 1}`, ...(i === 3 ? { files: { 'migrations/0004.sql': 'select 1;' } } : {}) })));
  const dataDir = mkdtempSync(join(tmpdir(), 'deckhand-ctx-'));
  const source = new GitSource(dataDir);
  const app = gitApp('ctx-app', repo.url, 1);
  const c = repo.commits;
  afterAll(() => {
    repo.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('forward: the 10 newest commits arriving, the count of the rest, and the migrations; no link for a local remote', async () => {
    await source.resolve(app, 'main');
    const ctx = await changeContext(source, app, c[0]!, c[13]!);
    expect(ctx.direction).toBe('forward');
    expect(ctx.current).toEqual({ sha: c[0], subject: 'release v1', author: 'T' });
    expect(ctx.target).toEqual({ sha: c[13], subject: 'release v14', author: 'T' });
    expect(ctx.commits.map((x) => x.sha)).toEqual(c.slice(4, 14).reverse());
    expect(ctx.more).toBe(3);
    expect(ctx.migrations).toEqual(['migrations/0004.sql']);
    expect(ctx.compareUrl).toBeNull();
  });

  it('back: the commits a rollback undoes', async () => {
    const ctx = await changeContext(source, app, c[5]!, c[2]!);
    expect(ctx.direction).toBe('back');
    expect(ctx.commits.map((x) => x.subject)).toEqual(['release v6', 'release v5', 'release v4']);
    expect(ctx.more).toBe(0);
    expect(ctx.migrations).toEqual(['migrations/0004.sql']);
  });

  it('diverged (what runs was force-pushed away): the commits the target brings, both ends named', async () => {
    execFileSync('git', ['checkout', '-q', '-b', 'hotfix', c[2]!], { cwd: repo.dir });
    const hotfix = repo.commit({ body: 'hotfix' }, 'hotfix on v3');
    execFileSync('git', ['checkout', '-q', 'main'], { cwd: repo.dir });
    repo.commits.pop(); // the list above is main's history
    await source.resolve(app, 'hotfix');
    const ctx = await changeContext(source, app, hotfix, c[5]!);
    expect(ctx.direction).toBe('forward');
    expect(ctx.current).toEqual({ sha: hotfix, subject: 'hotfix on v3', author: 'T' });
    expect(ctx.target).toMatchObject({ sha: c[5], subject: 'release v6' });
    expect(ctx.commits.map((x) => x.subject)).toEqual(['release v6', 'release v5', 'release v4']);
    expect(ctx.migrations).toEqual(['migrations/0004.sql']);
  });

  it('nothing runs yet, or the same commit: no list', async () => {
    expect((await changeContext(source, app, null, c[1]!)).commits).toEqual([]);
    expect((await changeContext(source, app, c[1]!, c[1]!)).direction).toBe('same');
  });

  it('a commit git cannot find still gives a card, with a note instead of the list', async () => {
    const ctx = await changeContext(source, app, 'f'.repeat(40), c[1]!);
    expect(ctx.commits).toEqual([]);
    expect(ctx.notes.join(' ')).toMatch(/Could not list the commits/);
  });
});
