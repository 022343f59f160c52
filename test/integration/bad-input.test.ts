import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { haveDocker } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = await haveDocker();

describe.skipIf(!enabled)('bad input changes nothing and says why', () => {
  const app = `it-bad-${process.pid}`;
  const imageApp = `it-badimg-${process.pid}`;
  let repo: TestRepo;
  let services: TestServices;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'b1' }]);
    services = await createTestServices({
      apps: [
        gitApp(app, repo.url, await freePort()),
        { ...gitApp(imageApp, 'unused', await freePort()), source: { kind: 'image', image: 'deckhand-test/none', pull: 'missing' } },
      ],
    });
  });

  afterAll(async () => {
    await removeAppArtifacts([app, imageApp]);
    await services?.dispose();
    repo?.cleanup();
  });

  async function expectNothingChanged() {
    expect(await services.store.list(app, 10)).toEqual([]);
    expect(await services.store.list(imageApp, 10)).toEqual([]);
    expect(await services.runtime.listContainers(app)).toEqual([]);
    expect(await services.runtime.listContainers(imageApp)).toEqual([]);
  }

  it.each([
    ['an unknown app', { app: 'nope' }, 'unknown_app', /Unknown app "nope"\. Known apps: .*it-bad-/],
    ['an option smuggled as a ref', { app, ref: '--upload-pack=x' }, 'invalid_ref', /starts with "-"/],
    ['a range', { app, ref: 'a..b' }, 'invalid_ref', /contains "\.\."/],
    ['a trailing newline', { app, ref: 'main\n' }, 'invalid_ref', /control character/],
    ['a ref with a space', { app, ref: 'main branch' }, 'invalid_ref', /space/],
    ['an image reference with upper case', { app, image: 'UPPER/Case:tag' }, 'invalid_image_ref', /"Case" must be lower-case/],
    ['a bad tag for an image app', { app: imageApp, ref: '-x' }, 'invalid_ref', /starts with "-"/],
    ['a ref that does not exist', { app, ref: 'no-such-branch' }, 'ref_not_found', /No branch, tag or commit named "no-such-branch"/],
  ])('%s', async (_label, request, code, message) => {
    const attempt = services.deploys.deploy({ actor: 'U-eve', trigger: 'cli', ...request });
    await expect(attempt).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    await expectNothingChanged();
  });

  it('a config with a missing key: the CLI names file, app and key, exits non-zero and starts nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deckhand-cfg-'));
    const file = join(dir, 'deckhand.yml');
    writeFileSync(file, `apps:\n  ${app}:\n    source:\n      git: ${repo.url}\n    run:\n      health: /healthz\n`);
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['deploy', app, '--config', file], {
      io: { out: (t) => out.push(t), err: (t) => err.push(t) },
      env: { DECKHAND_PROXY: 'none', DECKHAND_DATA_DIR: join(dir, 'data'), DATABASE_URL: services.testDb.url ?? '' },
    });
    expect(code).toBe(1);
    expect(err[0]).toBe(`deckhand: config_invalid: ${file}: app "${app}", key run.port: is required but missing`);
    await expectNothingChanged();
  });

  it('an image that is nowhere: the deploy fails with image_unavailable and nothing keeps running', async () => {
    // Pull policy "missing" with no local copy tries the registry; there is none here, so the deploy fails cleanly.
    const result = await services.deploys.deploy({ app: imageApp, actor: 'U-eve', trigger: 'cli', image: '127.0.0.1:1/deckhand/none:1' });
    expect(result).toMatchObject({ status: 'failed', errorCode: 'image_unavailable' });
    expect(await services.runtime.listContainers(imageApp)).toEqual([]);
  });
});
