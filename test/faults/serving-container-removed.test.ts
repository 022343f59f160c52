import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDeckhandError } from '../../src/domain/errors.js';
import { createWatchdog } from '../../src/jobs/watchdog.js';
import { docker, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());

/**
 * Someone removes the serving container outside deckhand (`docker rm -f`), at 3 a.m., by mistake. The watchdog said
 * nothing (there was nothing to restart), and `rollback <app> <current>` refused: "Deploy #2 is what … runs now".
 * Now the watchdog says the app is down and the one command that brings it back, without an audit row every pass,
 * and that rollback starts the same image in a new container. Real Docker, git and Postgres, with deckhand's own
 * Caddy in front.
 */
describe.skipIf(!enabled)('the serving container removed outside deckhand', () => {
  const app = `f-rmserving-${process.pid}`;
  let repo: TestRepo;
  let services: TestServices;
  let port: number;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2' }]);
    port = await freePort();
    services = await createTestServices({ apps: [gitApp(app, repo.url, port)], env: { DECKHAND_PROXY: 'caddy', DECKHAND_DRAIN: '0s' } });
  }, 60_000);

  afterAll(async () => {
    await services?.dispose();
    await removeAppArtifacts([app]).catch(() => undefined);
    repo?.cleanup();
  }, 60_000);

  it('the watchdog says the app is down and how to bring it back; a rollback to the current deploy does', async () => {
    for (const commit of repo.commits) {
      const d = await services.deploys.deploy({ app, ref: commit, actor: 'U-ops', trigger: 'cli' });
      expect(d.status, d.error ?? '').toBe('succeeded');
    }
    const current = (await services.store.current(app))!;
    await docker().getContainer(current.containerId!).remove({ force: true });
    await expect(get(port, '/', 1000)).rejects.toThrow();

    // `status` says it is down, and the way back.
    const status = await services.status.app(services.apps.get(app)!);
    expect(status.health).toMatchObject({ state: 'down', note: `The container of #${current.id} is gone (removed outside deckhand): \`deckhand rollback ${app} ${current.id}\` starts its image again in a new container.` });

    const watchdog = createWatchdog(services, 0, async () => undefined);
    const said = `${app}: the container of #${current.id} is gone (removed outside deckhand): nothing serves ${app}. Bring #${current.id} back in a new container from its image with \`deckhand rollback ${app} ${current.id}\` (or /rollback ${app} ${current.id}), or deploy again`;
    expect(await watchdog.checkNow()).toEqual([said]);
    expect(await watchdog.checkNow()).toEqual([said]);
    // Said, not done: no recovery is audited for it, pass after pass.
    expect(await services.audit.list({ app, action: 'deploy.recover' })).toEqual([]);

    const plan = await services.rollbacks.plan(app, current.id);
    expect(plan.warnings).toContain(`The container of #${current.id} is gone (removed outside deckhand), so nothing serves ${app}: this rollback starts #${current.id}'s image again in a new container.`);
    const { deployment } = await services.rollbacks.rollback(app, current.id, 'U-ops');
    expect(deployment.status, deployment.error ?? '').toBe('succeeded');
    expect(deployment.imageId).toBe(current.imageId);
    expect(await get(port)).toEqual({ status: 200, body: 'v2' });
    expect(await watchdog.checkNow()).toEqual([]);

    // With its container back, the same rollback is refused as before: it is what runs.
    const again = await services.rollbacks.plan(app, deployment.id).catch((error: unknown) => error);
    expect(isDeckhandError(again, 'already_current')).toBe(true);
  }, 180_000);
});
