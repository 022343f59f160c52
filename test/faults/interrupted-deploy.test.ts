import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CaddyProcess, startCaddy } from '../helpers/caddy.js';
import { runCliProcess, startCli } from '../helpers/cli-process.js';
import { createScratchDatabase } from '../helpers/db.js';
import { docker, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get, requestLoop } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';

const enabled = (await haveDocker()) && (await havePostgres());

interface Row {
  id: number;
  status: string;
  errorCode: string | null;
}

/** kill -9 of the CLI at named moments of a deploy, with a request loop through Caddy the whole time. */
describe.skipIf(!enabled)('a deploy whose CLI is killed (-9) mid-way', () => {
  const app = `f-kill-${process.pid}`;
  let repo: TestRepo;
  let caddy: CaddyProcess;
  let db: { url: string; drop(): Promise<void> };
  let dir: string;
  let port: number;
  let env: Record<string, string>;
  let v1: string, v2: string, v3: string;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2' }, { body: 'v3', healthy: false }]);
    [v1, v2, v3] = repo.commits as [string, string, string];
    caddy = await startCaddy();
    db = await createScratchDatabase();
    dir = mkdtempSync(join(tmpdir(), 'deckhand-kill-'));
    port = await freePort();
    writeFileSync(join(dir, 'deckhand.yml'), `apps:\n  ${app}:\n    source: { git: "${repo.url}", branch: main }\n    run: { port: ${port}, health: /healthz, healthTimeout: 20s, watch: 0 }\n`);
    env = {
      DATABASE_URL: db.url,
      DECKHAND_DATA_DIR: join(dir, 'data'),
      DECKHAND_CONFIG: join(dir, 'deckhand.yml'),
      DECKHAND_CADDY_ADMIN_URL: caddy.adminUrl,
      DECKHAND_PUBLIC_HOST: '127.0.0.1',
      // The old container keeps serving this long after the switch: the window in which the kill lands.
      DECKHAND_DRAIN: '4s',
    };
  });

  afterAll(async () => {
    await removeAppArtifacts([app]);
    await caddy?.stop();
    await db?.drop();
    repo?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const history = async (): Promise<Row[]> => {
    const { code, output } = await runCliProcess(['deploys', app, '--json'], env);
    expect(code, output).toBe(0);
    return JSON.parse(output.slice(output.indexOf('['))) as Row[];
  };

  it('killed right after the switch: the new container keeps serving, and recovery records it as succeeded', async () => {
    expect((await runCliProcess(['deploy', app, v1], env)).code).toBe(0);
    expect(await get(port)).toEqual({ status: 200, body: 'v1' });
    const loop = requestLoop(port, { maxMs: 90_000 });
    const cli = startCli(['deploy', app, v2], env);
    await cli.waitFor(/\[switch\] traffic -> #2/);
    cli.child.kill('SIGKILL');
    expect(await cli.exited).toBeNull();
    expect((await history())[0]).toMatchObject({ id: 2, status: 'switching' });

    const recovered = await runCliProcess(['recover', app], env);
    expect(recovered.code, recovered.output).toBe(0);
    expect(recovered.output).toContain('#2 was serving and healthy: recorded as succeeded');
    expect(recovered.output).toContain(`stopped deckhand-${app}-1`);
    expect((await history()).map((d) => [d.id, d.status])).toEqual([[2, 'succeeded'], [1, 'succeeded']]);
    const seen = await loop.stop();
    expect(seen.failures).toEqual([]);
    expect(seen.bodies.get('v2')).toBeGreaterThan(0);
    expect(await get(port)).toEqual({ status: 200, body: 'v2' });
    // Recovery does not touch what it already agreed with.
    expect((await runCliProcess(['recover', app], env)).output).toContain('Nothing to recover');
  });

  it('killed during the health check: the next deploy takes the dead CLI\'s lease at once and closes the half-done deploy', async () => {
    const loop = requestLoop(port, { maxMs: 90_000 });
    const cli = startCli(['deploy', app, v3], env);
    await cli.waitFor(/#3 \[health\]/);
    cli.child.kill('SIGKILL');
    await cli.exited;
    const started = (await docker().listContainers({ all: true, filters: { label: [`deckhand.deployment=3`, `deckhand.app=${app}`] } })).length;
    expect(started).toBe(1);

    // Not `deploy_in_progress` for a whole lease: the holder's pid is gone, so its lease is taken over.
    const again = await runCliProcess(['deploy', app, v2], env);
    expect(again.code, again.output).toBe(0);
    const rows = await history();
    expect(rows.slice(0, 2)).toMatchObject([{ id: 4, status: 'succeeded' }, { id: 3, status: 'failed', errorCode: 'interrupted' }]);
    expect(await docker().listContainers({ all: true, filters: { label: [`deckhand.deployment=3`, `deckhand.app=${app}`] } })).toEqual([]);
    const seen = await loop.stop();
    expect(seen.failures).toEqual([]);
    expect(await get(port)).toEqual({ status: 200, body: 'v2' });
  });
});
