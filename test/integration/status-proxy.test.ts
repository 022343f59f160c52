import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { type CaddyProcess, startCaddy } from '../helpers/caddy.js';
import { removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { type TestServices, createTestServices, gitApp } from '../helpers/services.js';

const enabled = (await haveDocker()) && (await havePostgres());

describe.skipIf(!enabled)('deckhand status behind a real Caddy: the public port and the container are probed apart', () => {
  const app = `f-status-proxy-${process.pid}`;
  let repo: TestRepo;
  let caddy: CaddyProcess | undefined;
  let services: TestServices;
  let upstream: number;

  const status = async () => {
    const out: string[] = [];
    const code = await runCli(['status', app, '--json'], { io: { out: (t) => out.push(t), err: () => undefined }, services });
    return { code, s: JSON.parse(out.join('\n')) };
  };

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'p1' }]);
    caddy = await startCaddy();
    services = await createTestServices({ apps: [gitApp(app, repo.url, await freePort())], caddyAdminUrl: caddy.adminUrl });
    const d = await services.deploys.deploy({ app, ref: repo.commits[0]!, actor: 'U1ANA', trigger: 'cli' });
    expect(d.status, `${d.errorCode}: ${d.error}`).toBe('succeeded');
    upstream = d.upstreamPort!;
  }, 120_000);

  afterAll(async () => {
    await caddy?.stop();
    await removeAppArtifacts([app]);
    await services?.dispose();
    repo?.cleanup();
  });

  it('healthy through the proxy and at the container', async () => {
    const { code, s } = await status();
    expect(code).toBe(0);
    expect(s.mode).toBe('proxy');
    expect(s.health.state).toBe('healthy');
    expect(s.health.probes).toEqual([
      expect.objectContaining({ where: 'public', ok: true, detail: 'HTTP 200' }),
      expect.objectContaining({ where: 'upstream', url: `http://127.0.0.1:${upstream}/healthz`, ok: true, detail: 'HTTP 200' }),
    ]);
  });

  it('read from Docker and Caddy alone (as when the database cannot be read): the container Caddy sends to serves', async () => {
    const s = await services.status.fromRuntime(services.deploys.requireApp(app));
    expect(s.mode).toBe('proxy');
    expect(s.serving).toEqual([expect.objectContaining({ deploymentId: 1, port: upstream, running: true })]);
    expect(s.health.state).toBe('healthy');
    expect(s.health.probes.map((p) => [p.where, p.url, p.detail])).toEqual([
      ['public', expect.stringMatching(/\/healthz$/), 'HTTP 200'],
      ['upstream', `http://127.0.0.1:${upstream}/healthz`, 'HTTP 200'],
    ]);
  });

  it('with the proxy gone, the app is unhealthy for its users while its container still answers: on-call sees where it broke', async () => {
    await caddy!.stop();
    caddy = undefined;
    const { code, s } = await status();
    expect(code).toBe(1);
    expect(s.health.state).toBe('unhealthy');
    expect(s.health.probes[0]).toMatchObject({ where: 'public', ok: false, detail: 'ECONNREFUSED' });
    expect(s.health.probes[1]).toMatchObject({ where: 'upstream', ok: true, detail: 'HTTP 200' });
    expect(s.health.container).toMatchObject({ running: true });
    expect(s.health.note).toMatch(new RegExp(`^The proxy did not say where ${app}'s traffic goes: `));
    // Read without the database, the same: what serves cannot be told, and it is said.
    const alone = await services.status.fromRuntime(services.deploys.requireApp(app));
    expect([alone.health.state, alone.serving]).toEqual(['unhealthy', []]);
    expect(alone.health.note).toMatch(new RegExp(`^The proxy did not say where ${app}'s traffic goes: `));
  });
});
