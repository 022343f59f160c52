import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistryClient } from '../../src/adapters/http/registry-client.js';
import { RegistryCredentialResolver } from '../../src/adapters/registry/credentials.js';
import { runCli } from '../../src/cli.js';
import type { AppSpec } from '../../src/domain/apps.js';
import { appRedactor } from '../../src/domain/redact.js';
import { removeAppArtifacts, removeImageAndContainers } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { allRows, captureIo, dockerConfigDir, expectNoSecret } from '../helpers/secret-search.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';
import { type TokenRegistry, startTokenRegistry } from '../helpers/token-registry.js';

const enabled = (await haveDocker()) && (await havePostgres());

const USER = 'g-bearer';
const PASSWORD = `g-pw-${randomBytes(12).toString('hex')}`;
const WRONG = `g-wrong-${randomBytes(12).toString('hex')}`;

describe.skipIf(!enabled)('registry credentials through the Bearer token flow (docker-registry with auth: token)', () => {
  let registry: TokenRegistry;
  let repo: TestRepo;
  let services: TestServices;
  let spec: AppSpec;
  let port: number;
  const app = `g-bearer-${process.pid}`;
  const config = dockerConfigDir();

  beforeAll(async () => {
    [registry, repo] = await Promise.all([startTokenRegistry({ [USER]: PASSWORD }), Promise.resolve(createTestRepo([{ body: 'v1' }, { body: 'v2' }, { body: 'v3' }]))]);
    port = await freePort();
    spec = { ...gitApp(app, repo.url, port), registry: `${registry.host}/${app}`, retention: { keepLast: 1, keepDays: 0 } };
    const auth = JSON.stringify({ [registry.host]: { username: USER, password: PASSWORD } });
    services = await createTestServices({ apps: [spec], env: { DOCKER_CONFIG: config.dir, DECKHAND_REGISTRY_AUTH: auth } });
  });

  afterAll(async () => {
    await removeAppArtifacts([app]);
    await services?.dispose();
    await registry?.stop();
    config.cleanup();
    repo?.cleanup();
  });

  it('pushes, pulls for a rollback and deletes a pruned tag with tokens; a wrong password is refused by the token service', async () => {
    const { lines, io } = captureIo();
    for (const sha of repo.commits.slice(0, 2)) expect(await runCli(['deploy', app, sha, '--actor', 'U-ops'], { io, services })).toBe(0);
    const [d2, d1] = await services.store.list(app, 2);
    expect(d1!.registryRef).toBe(`${spec.registry}:deploy-${d1!.id}`);
    const resolver = new RegistryCredentialResolver({ logins: { [registry.host]: { username: USER, password: PASSWORD } } });
    const client = new HttpRegistryClient({ credentials: (host) => resolver.resolve(host) });
    const before = registry.issued.length;
    expect(await client.has(d2!.registryRef!)).toBe(true);
    expect(registry.issued.length).toBe(before + 1); // the answer came through a token

    await removeImageAndContainers(d1!.imageId!);
    expect(await runCli(['rollback', app, String(d1!.id), '--yes', '--actor', 'U-ops'], { io, services })).toBe(0);
    expect((await services.store.list(app, 1))[0]).toMatchObject({ status: 'succeeded', rollbackSource: 'pull_image' });
    expect((await get(port)).body).toBe('v1');
    expect(await runCli(['unlock', app], { io, services })).toBe(0);
    expect(await runCli(['deploy', app, repo.commits[2]!, '--actor', 'U-ops'], { io, services })).toBe(0);
    expect(await runCli(['prune', '--app', app], { io, services })).toBe(0);
    expect(lines.join('\n')).toContain(`deleted from the registry: ${d2!.registryRef}`);
    expect(await client.has(d2!.registryRef!)).toBe(false);

    const wrong = new RegistryCredentialResolver({ logins: { [registry.host]: { username: USER, password: WRONG } } });
    const refusalsBefore = registry.refusals;
    await expect(new HttpRegistryClient({ credentials: (host) => wrong.resolve(host) }).delete(d1!.registryRef!)).rejects.toMatchObject({
      code: 'registry_auth_failed',
      message: `The registry refused the credentials for ${registry.host} (from DECKHAND_REGISTRY_AUTH).`,
    });
    expect(registry.refusals).toBe(refusalsBefore + 1);
    expect(await client.has(d1!.registryRef!)).toBe(true);

    expect(registry.issued.length).toBeGreaterThan(before + 3);
    // The tokens deckhand's own registry client obtained (retention) are secrets of the app for every redactor.
    expect(registry.issued.filter((token) => appRedactor(spec)(`got ${token}.`) === 'got ***.').length).toBeGreaterThan(0);
    expect(appRedactor(spec)(`login ${PASSWORD}`)).toBe('login ***');
    const secrets = [PASSWORD, WRONG, Buffer.from(`${USER}:${PASSWORD}`).toString('base64'), ...registry.issued];
    expectNoSecret(`${lines.join('\n')}\n${await allRows(services.testDb.url!)}`, secrets);
  }, 240_000);
});
