import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AppSpec } from '../../src/domain/apps.js';
import { buildImageFromRepo, removeAppArtifacts } from '../../test/helpers/docker.js';
import { type TestRepo, type Version, createTestRepo } from '../../test/helpers/git-repo.js';
import { freePort } from '../../test/helpers/ports.js';
import { gitApp } from '../../test/helpers/services.js';
import type { BenchContext } from './context.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A real git repository of busybox httpd versions (each serves its own body at /), removed at the end. */
export function benchRepo(ctx: BenchContext, versions: Version[]): TestRepo {
  const repo = createTestRepo(versions);
  ctx.defer(() => repo.cleanup());
  return repo;
}

/** Images `deckhand-bench/<app>:<i+1>` of each commit, labelled for the app, removed at the end with its containers. */
export async function prebuilt(ctx: BenchContext, app: string, repo: TestRepo): Promise<string[]> {
  ctx.defer(() => removeAppArtifacts([app]));
  const refs: string[] = [];
  for (const [i, commit] of repo.commits.entries()) {
    const ref = `deckhand-bench/${app}:${i + 1}`;
    await buildImageFromRepo(repo.dir, commit, ref, app);
    refs.push(ref);
  }
  return refs;
}

/** A git app on a free port, watch window off (as the tests), everything it makes removed at the end. */
export async function benchGitApp(ctx: BenchContext, app: string, repo: TestRepo): Promise<AppSpec> {
  ctx.defer(() => removeAppArtifacts([app]));
  return gitApp(app, repo.url, await freePort());
}

/** A temporary directory removed at the end. */
export function tempDir(ctx: BenchContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `bench-${prefix}-`));
  ctx.defer(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** deckhand.yml for git apps (the CLI and the bot process read it). */
export function writeAppsFile(dir: string, apps: AppSpec[]): string {
  const lines = ['apps:'];
  for (const app of apps) {
    if (app.source.kind !== 'git') throw new Error('bench: only git apps are written to deckhand.yml');
    lines.push(`  ${app.name}:`, `    source: { git: "${app.source.url}", branch: main }`, `    run: { port: ${app.run.port}, health: /healthz, healthTimeout: 30s, watch: 0s }`);
  }
  const file = join(dir, 'deckhand.yml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const newest = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);

/**
 * The CLI as README's users run it: `npx deckhand` = bin/deckhand.js, which loads dist/ (built by `npm install`).
 * Builds dist/ first when it is missing or older than src/, so the bench measures the code on this branch.
 */
export function ensureBuilt(): string {
  const entry = join(ROOT, 'dist', 'main-cli.js');
  if (!existsSync(entry) || statSync(entry).mtimeMs < newest(join(ROOT, 'src'))) {
    console.log('  (building dist/ for bin/deckhand.js: npm run build)');
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  }
  return join(ROOT, 'bin', 'deckhand.js');
}

