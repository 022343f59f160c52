import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli-process.js';
import { createScratchDatabase } from '../helpers/db.js';
import { docker, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';

const enabled = (await haveDocker()) && (await havePostgres());
const TOKEN = 'p14c-env-token-90ab17cd33ee';
const FILE_SECRET = 'p14c-file-secret-4471aa0c9b2f';

const worker = (version: string) => `echo "worker ${version}: token $API_TOKEN file $FILE_SECRET"
echo "${version}" >> /data/seen
exec /bin/busybox sleep 100000
`;

/** The real CLI, a real deckhand.yml: the keys parse, the release runs, and no output carries a secret value. */
describe.skipIf(!enabled)('deckhand CLI with a web + worker app whose secrets come from env and a file', () => {
  const app = `p14c-${process.pid}`;
  const volume = `p14c-data-${process.pid}`;
  let repo: TestRepo;
  let dir: string;
  let db: { url: string; drop(): Promise<void> };
  let env: Record<string, string>;
  let port: number;

  beforeAll(async () => {
    repo = createTestRepo([{ body: 'v1', files: { 'www/worker.sh': worker('v1') } }, { body: 'v2', files: { 'www/worker.sh': worker('v2') } }]);
    dir = mkdtempSync(join(tmpdir(), 'p14c-'));
    writeFileSync(join(dir, 'file-secret'), `${FILE_SECRET}\n`);
    port = await freePort();
    writeFileSync(
      join(dir, 'deckhand.yml'),
      `apps:
  ${app}:
    source: { git: "${repo.url}", branch: main }
    run:
      port: ${port}
      health: /healthz
      healthTimeout: 5s
      watch: 0
      stopTimeout: 2s
      memory: 64m
      cpus: 0.5
      env:
        API_TOKEN: { fromEnv: P14C_API_TOKEN }
        FILE_SECRET: { fromFile: ${join(dir, 'file-secret')} }
      volumes: ["${volume}:/data"]
    processes:
      worker:
        command: ["/bin/busybox", "sh", "/www/worker.sh"]
        replicas: 2
        healthyAfter: 1s
`,
    );
    db = await createScratchDatabase('p14c');
    env = { DATABASE_URL: db.url, DECKHAND_DATA_DIR: join(dir, 'data'), DECKHAND_CONFIG: join(dir, 'deckhand.yml'), P14C_API_TOKEN: TOKEN };
  });

  afterAll(async () => {
    await removeAppArtifacts([app]);
    await docker().getVolume(volume).remove().catch(() => undefined);
    await db?.drop();
    repo?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to deploy without the variable, naming the key, and starts nothing', async () => {
    const { P14C_API_TOKEN: _unset, ...without } = env;
    void _unset;
    const run = await runCliProcess(['deploy', app, '--actor', 'U-ops'], { ...without, P14C_API_TOKEN: '' });
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('run.env.API_TOKEN (fromEnv P14C_API_TOKEN)');
    expect(run.output).toContain('secret_unavailable');
    expect(await docker().listContainers({ all: true, filters: { label: [`deckhand.app=${app}`] } })).toEqual([]);
  }, 60_000);

  it('deploys v1 then v2, shows the worker in status, and prints no secret anywhere', async () => {
    const outputs: string[] = [];
    for (const sha of repo.commits) {
      const run = await runCliProcess(['deploy', app, sha, '--actor', 'U-ops'], env);
      outputs.push(run.output);
      expect(run.code, run.output).toBe(0);
    }
    expect(outputs[1]).toContain('worker ×2');
    expect((await get(port)).body).toBe('v2');
    const status = await runCliProcess(['status', app], env);
    outputs.push(status.output);
    expect(status.output).toMatch(/worker:\s+2\/2 running/);
    const json = await runCliProcess(['status', app, '--json'], env);
    outputs.push(json.output);
    expect(JSON.parse(json.output).processes).toEqual([expect.objectContaining({ name: 'worker', replicas: 2, running: 2 })]);
    outputs.push((await runCliProcess(['deploys', app], env)).output);
    outputs.push((await runCliProcess(['audit', app], env)).output);

    const workers = await docker().listContainers({ filters: { label: [`deckhand.app=${app}`, 'deckhand.process=worker'] } });
    expect(workers).toHaveLength(2);
    const info = await docker().getContainer(workers[0]!.Id).inspect();
    expect(info.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
    const logs = (await docker().getContainer(workers[0]!.Id).logs({ stdout: true, stderr: true })).toString();
    expect(logs).toContain(TOKEN); // the app itself printed it: deckhand must not repeat it

    const everything = Buffer.from(outputs.join('\n'));
    for (const secret of [TOKEN, FILE_SECRET]) expect(everything.indexOf(Buffer.from(secret))).toBe(-1);
  }, 180_000);
});
