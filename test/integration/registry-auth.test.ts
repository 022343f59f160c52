import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistryClient } from '../../src/adapters/http/registry-client.js';
import { RegistryCredentialResolver } from '../../src/adapters/registry/credentials.js';
import { runCli } from '../../src/cli.js';
import type { AppSpec } from '../../src/domain/apps.js';
import { appRedactor } from '../../src/domain/redact.js';
import { removeAppArtifacts, removeImageAndContainers } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { type HtpasswdRegistry, startHtpasswdRegistry } from '../helpers/htpasswd-registry.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { allRows, captureIo, dockerConfigDir, expectNoSecret } from '../helpers/secret-search.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());

const USER = 'g-deployer';
const PASSWORD = `g-pw-${randomBytes(12).toString('hex')}`;
const secretForms = (password: string) => [password, Buffer.from(`${USER}:${password}`).toString('base64')];

describe.skipIf(!enabled)('registry credentials against docker-registry with htpasswd auth', () => {
  let registry: HtpasswdRegistry;
  let repo: TestRepo;
  const cleanups: Array<() => unknown> = [];
  const apps: string[] = [];

  beforeAll(async () => {
    [registry, repo] = await Promise.all([startHtpasswdRegistry({ [USER]: PASSWORD }), Promise.resolve(createTestRepo([{ body: 'v1' }, { body: 'v2' }, { body: 'v3' }]))]);
  });

  afterAll(async () => {
    await removeAppArtifacts(apps);
    for (const cleanup of cleanups.reverse()) await cleanup();
    await registry?.stop();
    repo?.cleanup();
  });

  /** Services for one app pushing to the registry, with the given env (credentials) and DOCKER_CONFIG. */
  async function setUp(name: string, env: Record<string, string>, config?: unknown): Promise<{ services: TestServices; spec: AppSpec; port: number; dockerConfig: string }> {
    const app = `g-${name}-${process.pid}`;
    apps.push(app);
    const port = await freePort();
    const spec: AppSpec = { ...gitApp(app, repo.url, port), registry: `${registry.host}/${app}`, retention: { keepLast: 1, keepDays: 0 } };
    const docker = dockerConfigDir(config);
    const services = await createTestServices({ apps: [spec], env: { DOCKER_CONFIG: docker.dir, ...env } });
    cleanups.push(docker.cleanup, () => services.dispose());
    return { services, spec, port, dockerConfig: docker.dir };
  }

  const authedClient = (logins: Record<string, { username: string; password: string }>) => {
    const resolver = new RegistryCredentialResolver({ logins, dockerConfigDir: '/nonexistent-g' });
    return new HttpRegistryClient({ credentials: (host) => resolver.resolve(host) });
  };

  it('with DECKHAND_REGISTRY_AUTH: a deploy pushes, a rollback pulls the pruned image, retention deletes a tag; no secret anywhere', async () => {
    const auth = JSON.stringify({ [registry.host]: { username: USER, password: PASSWORD } });
    const { services, spec, port } = await setUp('env', { DECKHAND_REGISTRY_AUTH: auth });
    const app = spec.name;
    const client = authedClient({ [registry.host]: { username: USER, password: PASSWORD } });
    const { lines, io } = captureIo();
    // Known to redaction from the start, before any push: in every form it could take.
    for (const secret of secretForms(PASSWORD)) expect(appRedactor(spec)(`a ${secret} b`)).toBe('a *** b');

    expect(await runCli(['deploy', app, repo.commits[0]!, '--actor', 'U-ops'], { io, services })).toBe(0);
    expect(await runCli(['deploy', app, repo.commits[1]!, '--actor', 'U-ops'], { io, services })).toBe(0);
    const [d2, d1] = await services.store.list(app, 2);
    expect([d1!.registryRef, d2!.registryRef]).toEqual([`${spec.registry}:deploy-${d1!.id}`, `${spec.registry}:deploy-${d2!.id}`]);
    expect(await client.has(d1!.registryRef!)).toBe(true);
    // The registry really demands them: anonymous, the same question is refused, naming the host and "none".
    await expect(new HttpRegistryClient().has(d1!.registryRef!)).rejects.toMatchObject({ code: 'registry_auth_failed', message: `The registry refused the credentials for ${registry.host} (from none): it asks for credentials; give them in DECKHAND_REGISTRY_AUTH or with \`docker login\` (the Docker config.json).` });

    await removeImageAndContainers(d1!.imageId!);
    expect((await services.rollbacks.plan(app, d1!.id)).artifact.source).toBe('pull_image');
    expect(await runCli(['rollback', app, String(d1!.id), '--yes', '--actor', 'U-ops'], { io, services }), lines.join('\n')).toBe(0);
    const [d3] = await services.store.list(app, 1);
    expect(d3).toMatchObject({ status: 'succeeded', rollbackSource: 'pull_image', imageId: d1!.imageId });
    expect((await get(port)).body).toBe('v1');

    expect(await runCli(['unlock', app], { io, services }), lines.join('\n')).toBe(0);
    expect(await runCli(['deploy', app, repo.commits[2]!, '--actor', 'U-ops'], { io, services })).toBe(0);
    // keepLast 1: v3 runs, v1 (#d3) is the previous one; v2 (#d2) is pruned, with its tag in the registry.
    expect(await runCli(['prune', '--app', app], { io, services }), lines.join('\n')).toBe(0);
    expect(lines.join('\n')).toContain(`deleted from the registry: ${d2!.registryRef}`);
    expect(await client.has(d2!.registryRef!)).toBe(false);
    expect(await client.has(d1!.registryRef!)).toBe(true);

    expectNoSecret(`${lines.join('\n')}\n${await allRows(services.testDb.url!)}`, secretForms(PASSWORD));
  }, 240_000);

  it('with a Docker config.json (DOCKER_CONFIG): a deploy pushes, a rollback pulls, the API deletes a tag', async () => {
    const config = { auths: { [registry.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } };
    const { services, spec, port, dockerConfig } = await setUp('cfg', {}, config);
    const app = spec.name;
    const { lines, io } = captureIo();
    expect(await runCli(['deploy', app, repo.commits[0]!, '--actor', 'U-ops'], { io, services })).toBe(0);
    expect(await runCli(['deploy', app, repo.commits[1]!, '--actor', 'U-ops'], { io, services })).toBe(0);
    const [d2, d1] = await services.store.list(app, 2);
    expect(d2!.registryRef).toBe(`${spec.registry}:deploy-${d2!.id}`);
    const fromFile = new RegistryCredentialResolver({ dockerConfigDir: dockerConfig });
    expect(await fromFile.resolve(registry.host)).toMatchObject({ source: join(dockerConfig, 'config.json'), username: USER });
    const client = new HttpRegistryClient({ credentials: (host) => fromFile.resolve(host) });
    expect(await client.has(d2!.registryRef!)).toBe(true);

    await removeImageAndContainers(d1!.imageId!);
    expect(await runCli(['rollback', app, String(d1!.id), '--yes', '--actor', 'U-ops'], { io, services }), lines.join('\n')).toBe(0);
    expect((await services.store.list(app, 1))[0]).toMatchObject({ status: 'succeeded', rollbackSource: 'pull_image' });
    expect((await get(port)).body).toBe('v1');

    expect(await client.delete(d2!.registryRef!)).toBe(true);
    expect(await client.has(d2!.registryRef!)).toBe(false);
    expectNoSecret(`${lines.join('\n')}\n${await allRows(services.testDb.url!)}`, secretForms(PASSWORD));
  }, 240_000);
});
