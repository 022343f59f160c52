import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../src/adapters/docker/docker-runtime.js';
import { HttpRegistryClient } from '../../src/adapters/http/registry-client.js';
import { RegistryCredentialResolver } from '../../src/adapters/registry/credentials.js';
import { runCli } from '../../src/cli.js';
import type { AppSpec } from '../../src/domain/apps.js';
import { buildImageFromRepo, docker, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { type HtpasswdRegistry, startHtpasswdRegistry } from '../helpers/htpasswd-registry.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { allRows, captureIo, dockerConfigDir, expectNoSecret } from '../helpers/secret-search.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());

const USER = 'g-deployer';
const PASSWORD = `g-pw-${randomBytes(12).toString('hex')}`;
const WRONG = `g-wrong-${randomBytes(12).toString('hex')}`;
const SECRETS = [PASSWORD, WRONG, ...[PASSWORD, WRONG].map((p) => Buffer.from(`${USER}:${p}`).toString('base64'))];
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const basicAuth = (password: string) => ({ auth: Buffer.from(`${USER}:${password}`).toString('base64') });

describe.skipIf(!enabled)('refused, missing and helper-given registry credentials against docker-registry with htpasswd', () => {
  let registry: HtpasswdRegistry;
  let repo: TestRepo;
  /** An image in the registry, pushed with the right credentials, for image apps to pull. */
  let pushed: string;
  const imageOwner = `g-img-${process.pid}`;
  const cleanups: Array<() => unknown> = [];
  const apps: string[] = [imageOwner];

  beforeAll(async () => {
    [registry, repo] = await Promise.all([startHtpasswdRegistry({ [USER]: PASSWORD }), Promise.resolve(createTestRepo([{ body: 'v1' }, { body: 'v2' }, { body: 'v3' }]))]);
    pushed = `${registry.host}/${imageOwner}:v1`;
    const imageId = await buildImageFromRepo(repo.dir, repo.commits[0]!, pushed, imageOwner);
    const right = new RegistryCredentialResolver({ logins: { [registry.host]: { username: USER, password: PASSWORD } } });
    await new DockerRuntime(docker(), { registryAuth: (host) => right.resolve(host) }).push(imageId, pushed, () => undefined);
    await docker().getImage(pushed).remove(); // the tag only: a pull must fetch it
  });

  afterAll(async () => {
    await removeAppArtifacts(apps);
    for (const cleanup of cleanups.reverse()) await cleanup();
    await registry?.stop();
    repo?.cleanup();
  });

  async function setUp(name: string, env: Record<string, string>, config?: unknown, source?: AppSpec['source']) {
    const app = `g-${name}-${process.pid}`;
    apps.push(app);
    const spec: AppSpec = { ...gitApp(app, repo.url, await freePort()), registry: `${registry.host}/${app}`, retention: { keepLast: 1, keepDays: 0 }, ...(source ? { source } : {}) };
    const dockerConfig = dockerConfigDir(config);
    const services = await createTestServices({ apps: [spec], env: { DOCKER_CONFIG: dockerConfig.dir, ...env } });
    cleanups.push(dockerConfig.cleanup, () => services.dispose());
    return { services, spec, app, dockerConfig, configPath: join(dockerConfig.dir, 'config.json') };
  }
  const wrongEnv = () => ({ DECKHAND_REGISTRY_AUTH: JSON.stringify({ [registry.host]: { username: USER, password: WRONG } }) });
  const refused = (source: string) => `the registry refused the credentials for ${registry.host} (from ${source})`;
  const searchAll = async (services: TestServices, lines: string[]) => expectNoSecret(`${lines.join('\n')}\n${await allRows(services.testDb.url!)}`, SECRETS);

  it('a push with a wrong password, or with none, warns naming the host and the source; the deploy still serves', async () => {
    for (const [name, env, source] of [['push-wrong', wrongEnv(), 'DECKHAND_REGISTRY_AUTH'], ['push-none', {}, 'none']] as const) {
      const { services, app } = await setUp(name, env);
      const { lines, io } = captureIo();
      expect(await runCli(['deploy', app, repo.commits[0]!, '--actor', 'U-ops'], { io, services }), lines.join('\n')).toBe(0);
      expect(lines.join('\n')).toContain(`Could not push ${registry.host}/${app}:deploy-`);
      expect(lines.join('\n')).toContain(refused(source));
      expect((await services.store.list(app, 1))[0]).toMatchObject({ status: 'succeeded', registryRef: null });
      await searchAll(services, lines);
    }
  }, 120_000);

  it('a pull with refused credentials fails the deploy with registry_auth_failed, from the env or from config.json', async () => {
    const image = (pull: 'always') => ({ kind: 'image' as const, image: pushed, pull });
    const viaEnv = await setUp('pull-env', wrongEnv(), undefined, image('always'));
    const viaFile = await setUp('pull-cfg', {}, { auths: { [registry.host]: basicAuth(WRONG) } }, image('always'));
    for (const [{ services, app }, source] of [[viaEnv, 'DECKHAND_REGISTRY_AUTH'], [viaFile, viaFile.configPath]] as const) {
      const { lines, io } = captureIo();
      expect(await runCli(['deploy', app, '--actor', 'U-ops'], { io, services })).toBe(1);
      expect(lines.join('\n')).toMatch(new RegExp(`^deckhand: registry_auth_failed: deploy #\\d+ failed: Could not pull ${escape(pushed)}: ${escape(refused(source))}\\.$`, 'm'));
      expect((await services.store.list(app, 1))[0]).toMatchObject({ status: 'failed', errorCode: 'registry_auth_failed' });
      await searchAll(services, lines);
    }
  }, 120_000);

  it('when config.json changes to a wrong password: retention and the rollback plan say the registry refused it', async () => {
    const { services, app, dockerConfig, configPath } = await setUp('rotated', {}, { auths: { [registry.host]: basicAuth(PASSWORD) } });
    const { lines, io } = captureIo();
    for (const sha of repo.commits) expect(await runCli(['deploy', app, sha, '--actor', 'U-ops'], { io, services })).toBe(0);
    const [, , d1] = await services.store.list(app, 3);
    expect(d1!.registryRef).toBe(`${registry.host}/${app}:deploy-${d1!.id}`);
    dockerConfig.write({ auths: { [registry.host]: basicAuth(WRONG) } });

    const report = (await services.prune.run({ app, dryRun: false, actor: 'U-ops' })).apps[0]!;
    expect(report.removedImages).toBe(1);
    expect(report.registryDeleted).toEqual([]);
    expect(report.failures).toEqual([expect.stringMatching(new RegExp(`^[0-9a-f]{12}: The ${escape(refused(configPath).slice(4))}\\.$`))]);
    const plan = await services.rollbacks.plan(app, d1!.id);
    expect(plan.artifact.source).toBe('rebuild_from_source');
    expect(plan.artifact.detail).toContain(`the registry could not be asked: The registry refused the credentials for ${registry.host} (from ${configPath})`);
    // The tag is still there: nothing was deleted with the wrong password.
    const right = new RegistryCredentialResolver({ logins: { [registry.host]: { username: USER, password: PASSWORD } } });
    expect(await new HttpRegistryClient({ credentials: (host) => right.resolve(host) }).has(d1!.registryRef!)).toBe(true);
    lines.push(JSON.stringify(report), JSON.stringify(plan));
    await searchAll(services, lines);
  }, 180_000);

  it('a credential helper gets the host on stdin and its answer is used; a missing helper is named', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'deckhand-g-helper-'));
    cleanups.push(() => rmSync(bin, { recursive: true, force: true }));
    // Answers only for the registry's host, as a real helper does for a server it has no entry for.
    writeFileSync(
      join(bin, 'docker-credential-g-test'),
      `#!/bin/sh\n[ "$1" = get ] || exit 2\nread -r host\nif [ "$host" = "${registry.host}" ]; then printf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}' "$host"; else echo "credentials not found in native keychain"; exit 1; fi\n`,
    );
    chmodSync(join(bin, 'docker-credential-g-test'), 0o755);
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${savedPath}`;
    try {
      const config = dockerConfigDir({ credHelpers: { [registry.host]: 'g-test', 'other.example:5000': 'g-test', 'missing.example': 'g-missing' } });
      cleanups.push(config.cleanup);
      const resolver = new RegistryCredentialResolver({ dockerConfigDir: config.dir });
      const where = `credHelpers in ${join(config.dir, 'config.json')}`;
      expect(await resolver.resolve(registry.host)).toEqual({ host: registry.host, source: `docker-credential-g-test (${where})`, username: USER, password: PASSWORD });
      expect(await resolver.resolve('other.example:5000')).toEqual({ host: 'other.example:5000', source: 'none' });
      await expect(resolver.resolve('missing.example')).rejects.toMatchObject({
        code: 'registry_auth_failed',
        message: `The credential helper docker-credential-g-missing (${where}) is not installed or not on the PATH; it is needed for missing.example.`,
      });
      expect(await new HttpRegistryClient({ credentials: (host) => resolver.resolve(host) }).has(pushed)).toBe(true);

      // Through a deploy: the push uses the helper's credentials.
      const { services, app } = await setUp('helper', {}, { credHelpers: { [registry.host]: 'g-test' } });
      const { lines, io } = captureIo();
      expect(await runCli(['deploy', app, repo.commits[0]!, '--actor', 'U-ops'], { io, services })).toBe(0);
      expect((await services.store.list(app, 1))[0]!.registryRef).toBe(`${registry.host}/${app}:deploy-${(await services.store.list(app, 1))[0]!.id}`);
      await searchAll(services, lines);
    } finally {
      process.env.PATH = savedPath;
    }
  }, 120_000);
});
