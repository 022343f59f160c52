import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { buildImageFromRepo, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
}

const enabled = await haveDocker();

describe.skipIf(!enabled)('deckhand CLI and image-only apps', () => {
  const app = `it-img-${process.pid}`;
  const image = `deckhand-test/${app}`;
  let repo: TestRepo;
  let services: TestServices;
  let port: number;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'img1' }, { body: 'img2' }]);
    await buildImageFromRepo(repo.dir, repo.commits[0]!, `${image}:one`, app);
    await buildImageFromRepo(repo.dir, repo.commits[1]!, `${image}:two`, app);
    port = await freePort();
    services = await createTestServices({ apps: [{ ...gitApp(app, 'unused', port), source: { kind: 'image', image: `${image}:one`, pull: 'missing' } }] });
  });

  afterAll(async () => {
    await removeAppArtifacts([app]);
    await services?.dispose();
    repo?.cleanup();
  });

  it('deploys the configured image, then a tag given as the ref, through the same health-checked path', async () => {
    const first = capture();
    expect(await runCli(['deploy', app, '--actor', 'U-ops'], { io: first.io, services })).toBe(0);
    expect(first.out.join('\n')).toMatch(/\[health\] attempt \d+: healthy/);
    expect(first.out.at(-1)).toMatch(new RegExp(`Deployed ${app} #\\d+ \\(${image}:one\\)`));
    expect((await get(port)).body).toBe('img1');

    const second = capture();
    expect(await runCli(['deploy', app, 'two', '--json'], { io: second.io, services })).toBe(0);
    const result = JSON.parse(second.out.join('\n'));
    expect(result).toMatchObject({ app, status: 'succeeded', image: `${image}:two`, commit: null, trigger: 'cli' });
    expect(second.err.join('\n')).toContain('[switch]');
    expect((await get(port)).body).toBe('img2');
  });

  it('lists deploys as a table and as JSON with the documented fields', async () => {
    const table = capture();
    expect(await runCli(['deploys', app], { io: table.io, services })).toBe(0);
    expect(table.out[0]).toMatch(/^ID\s+STATUS\s+COMMIT/);
    expect(table.out[0]).toMatch(/succeeded/);

    const json = capture();
    expect(await runCli(['deploys', app, '--limit', '1', '--json'], { io: json.io, services })).toBe(0);
    const rows = JSON.parse(json.out.join('\n'));
    expect(rows).toHaveLength(1);
    for (const key of ['id', 'app', 'status', 'commit', 'image', 'trigger', 'actor', 'createdAt', 'finishedAt', 'error']) expect(rows[0]).toHaveProperty(key);
    expect(rows[0].image).toBe(`${image}:two`);
  });

  it('exits non-zero with one line naming the error code', async () => {
    const failed = capture();
    expect(await runCli(['deploy', app, '--image', '127.0.0.1:1/nothing/here:1'], { io: failed.io, services })).toBe(1);
    expect(failed.err.at(-1)).toMatch(/^deckhand: image_unavailable: deploy #\d+ failed: Could not pull 127\.0\.0\.1:1\/nothing\/here:1/);
    expect((await get(port)).body).toBe('img2');

    const usage = capture();
    expect(await runCli(['deploys', app, '--limit', 'lots'], { io: usage.io, services })).toBe(2);
    expect(usage.err).toEqual(['deckhand: invalid_argument: --limit must be a whole number from 1 to 500.']);

    const refused = capture();
    expect(await runCli(['deploy', app, '--json', '--image', 'Bad Image'], { io: refused.io, services })).toBe(1);
    expect(JSON.parse(refused.out.join('\n'))).toEqual({ error: { code: 'invalid_image_ref', message: expect.stringContaining('white space') } });
  });
});

describe('deckhand entry point (a real process, embedded PGlite)', () => {
  it('prints help, and refuses an unknown app with exit code 1 and no deploy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deckhand-bin-'));
    writeFileSync(join(dir, 'deckhand.yml'), 'apps:\n  web:\n    source: { image: "example/web:1" }\n    run: { port: 18080 }\n');
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/main-cli.ts', ...args], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: dir, DECKHAND_CONFIG: join(dir, 'deckhand.yml'), DECKHAND_DATA_DIR: join(dir, 'data'), DECKHAND_PROXY: 'none' },
      });
    const help = run('help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('deckhand <command>');
    const unknown = run('deploy', 'nope');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr.trim()).toBe('deckhand: unknown_app: Unknown app "nope". Known apps: web.');
    const listed = run('deploys', 'web', '--json');
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([]);
  });
});
