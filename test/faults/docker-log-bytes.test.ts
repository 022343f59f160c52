import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { REPLACEMENT } from '../../src/domain/log-text.js';
import { dockerfileWithStep } from '../helpers/fault-probes.js';
import { APP_DOCKERFILE } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { useOwnEngineApp } from '../helpers/own-engine-app.js';

const enabled = (await haveDocker()) && (await havePostgres());

/** busybox printf: a NUL, a bell, an escape sequence and bytes that are not UTF-8, in one line. */
const NASTY = String.raw`printf 'nul\000here bell\007 \033[31mred\033[0m bad\377\376bytes\n'`;

/** Item 6 (and 10b): logs are data; a failed build cleans up the step images it made. */
describe.skipIf(!enabled)('build and container logs with NUL and invalid UTF-8', () => {
  const app = `f-docker-bytes-${process.pid}`;
  const h = useOwnEngineApp({ app, versions: [{ body: 'v1' }], run: { healthTimeoutMs: 20_000 } });

  /** Reads the rows back with a separate Postgres client, as any later reader would. */
  async function storedRows(id: number) {
    const sql = postgres(h.services.testDb.url!, { max: 1, onnotice: () => undefined });
    try {
      const [row] = await sql`select status, error_code, error, log_tail from deployments where id = ${id}`;
      const events = await sql`select kind, message, data from deployment_events where deployment_id = ${id} order by id`;
      return { row: row!, events };
    } finally {
      await sql.end({ timeout: 1 });
    }
  }

  /** The recreate strategy restarts the previous container after a failure: give httpd its moment to listen. */
  async function served(): Promise<string> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return (await get(h.port)).body;
      } catch (error) {
        if (attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  const clean = (line: string) => !/[\u0000-\u0008\u000a-\u001f\u007f]/.test(line) && !/[\ud800-\udfff]/.test(line.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));

  it('a build printing NUL and invalid UTF-8 completes; its rows are stored and readable', async () => {
    const commit = h.repo.commit({ body: 'v2', files: { Dockerfile: dockerfileWithStep(NASTY) } });
    const deployment = await h.services.deploys.deploy({ app, ref: commit, actor: 'U-ops', trigger: 'cli' });
    expect(deployment.status).toBe('succeeded');
    expect(await served()).toBe('v2');
    const { row, events } = await storedRows(deployment.id);
    expect(row.status).toBe('succeeded');
    expect(events.at(-1)).toMatchObject({ kind: 'result', message: 'succeeded' });
  });

  it('a build failing after printing NUL and invalid UTF-8 is stored failed with its cleaned log; its step images are removed', async () => {
    const before = new Set((await h.engine.docker.listImages({ all: true })).map((i) => i.Id));
    const dockerfile = `${dockerfileWithStep('echo step-one-ran > /one').trimEnd()}\nRUN ["/bin/busybox", "sh", "-c", ${JSON.stringify(`${NASTY}; exit 1`)}]\n`;
    const commit = h.repo.commit({ body: 'v3', files: { Dockerfile: dockerfile } });
    const deployment = await h.services.deploys.deploy({ app, ref: commit, actor: 'U-ops', trigger: 'cli' });
    expect(deployment).toMatchObject({ status: 'failed', errorCode: 'build_failed' });

    const { row, events } = await storedRows(deployment.id);
    expect(row).toMatchObject({ status: 'failed', error_code: 'build_failed' });
    const tail = row.log_tail as string[];
    expect(tail).toContain(`nul${REPLACEMENT}here bell${REPLACEMENT} red bad${REPLACEMENT}${REPLACEMENT}bytes`);
    expect(tail.every(clean)).toBe(true);
    expect(events.at(-1)).toMatchObject({ kind: 'result', message: 'failed' });

    const left = (await h.engine.docker.listImages({ all: true })).filter((i) => !before.has(i.Id));
    expect(left).toEqual([]);
    expect(await served()).toBe('v2');
  });

  it('a container printing NUL and invalid UTF-8 before it crashes is stored failed with its cleaned last lines', async () => {
    const commit = h.repo.commit({ body: 'v4', files: { Dockerfile: APP_DOCKERFILE, 'start.sh': `${NASTY}\necho "v4 gives up"\nexit 4\n` } });
    const deployment = await h.services.deploys.deploy({ app, ref: commit, actor: 'U-ops', trigger: 'cli' });
    expect(deployment).toMatchObject({ status: 'failed', errorCode: 'health_check_failed' });
    const { row } = await storedRows(deployment.id);
    const tail = row.log_tail as string[];
    expect(tail).toContain('v4 gives up');
    expect(tail).toContain(`nul${REPLACEMENT}here bell${REPLACEMENT} red bad${REPLACEMENT}${REPLACEMENT}bytes`);
    expect(tail.every(clean)).toBe(true);
    expect(await served()).toBe('v2');
  });
});
