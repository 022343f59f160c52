import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { type Services, createServices } from '../../src/compose.js';
import { loadEnv } from '../../src/config/env.js';
import { openDatabase } from '../../src/adapters/db/client.js';
import { asDeckhandError } from '../../src/domain/errors.js';
import { docker, removeAppArtifacts } from '../helpers/docker.js';
import { type TestRepo, createTestRepo } from '../helpers/git-repo.js';
import { get, requestLoop } from '../helpers/http.js';
import { haveDocker } from '../helpers/infra.js';
import { type PgCluster, havePgCluster, startPgCluster } from '../helpers/pg-cluster.js';
import { freePort } from '../helpers/ports.js';
import { gitApp } from '../helpers/services.js';
import { startBot } from '../helpers/slack-bot.js';
import { type SlackMock, createSlackMock } from '../helpers/slack-mock.js';
import { postToBolt, slashCommand } from '../helpers/slack-requests.js';

const enabled = havePgCluster() && (await haveDocker());
const APP = 'f-db-web';
/** What no answer may ever contain: drizzle's wrapper and the SQL it carries. */
const LEAKS = /Failed query|\bselect\b|\binsert\b|\bupdate\b|params:/i;

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, all: () => [...out, ...err].join('\n'), io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
}

describe.skipIf(!enabled)('the database goes away and comes back', () => {
  let cluster: PgCluster;
  let url: string;
  let dataDir: string;
  let configFile: string;
  let services: Services;
  let bot: Awaited<ReturnType<typeof startBot>>;
  let slack: SlackMock;
  let repo: TestRepo;
  let port: number;
  let loop: ReturnType<typeof requestLoop> | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  const env = () => ({ DATABASE_URL: url, DECKHAND_DATA_DIR: dataDir, DECKHAND_PROXY: 'none', DECKHAND_PUBLIC_HOST: '127.0.0.1', DECKHAND_CONFIG: configFile, PATH: process.env.PATH });

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    cluster = await startPgCluster();
    url = await cluster.createDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'deckhand-f-db-'));
    repo = createTestRepo([{ body: 'v1' }, { body: 'v2' }]);
    port = await freePort();
    configFile = join(dataDir, 'deckhand.yml');
    writeFileSync(configFile, `apps:\n  ${APP}:\n    source: { git: "${repo.url}" }\n    run: { port: ${port}, health: /healthz, watch: 0 }\n`);
    services = await createServices({ env: loadEnv(env()), apps: [gitApp(APP, repo.url, port)] });
    slack = createSlackMock();
    slack.server.listen({ onUnhandledRequest: 'bypass' });
    bot = await startBot(services, { streamIntervalMs: 200, messageGapMs: 0 });
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    // Every step is bounded, so the cluster is always disposed within the hook's time.
    const bounded = (work: Promise<unknown> | undefined) => Promise.race([Promise.resolve(work).catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    try {
      await bounded(loop?.stop());
      await bounded(bot?.stop());
      await bounded(services?.close());
      slack?.server.close();
    } finally {
      await cluster?.dispose();
      await bounded(removeAppArtifacts([APP]));
      repo?.cleanup();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  });

  const healthz = async () => {
    const response = await fetch(`${bot.url}/healthz`, { signal: AbortSignal.timeout(10_000) });
    return { status: response.status, body: await response.json() };
  };
  /** A signed slash command through Bolt's receiver; returns the ephemeral answer (ack body or response_url post). */
  const command = async (name: string, text: string) => {
    const before = slack.responses.length;
    const ack = await postToBolt(bot.url, slashCommand(name, text));
    expect(ack.status).toBe(200);
    await bot.idle();
    const answers = [ack.json?.text, ...slack.responses.slice(before).map((r) => r.body.text ?? JSON.stringify(r.body))].filter(Boolean) as string[];
    return answers.join('\n');
  };
  const everythingSlackSaw = () => JSON.stringify([slack.calls.map((c) => c.args), slack.responses.map((r) => r.body)]);

  it('is healthy and answers while the database is up; the app is deployed and serves', async () => {
    expect(await runCli(['deploy', APP, repo.commits[0]!], { io: capture().io, services })).toBe(0);
    expect((await get(port)).body).toBe('v1');
    expect(await healthz()).toEqual({ status: 200, body: { ok: true } });
    expect(await command('/deploys', APP)).toContain(`Recent deploys of ${APP}`);
    expect(await command('/rollback', `${APP} 99999999999`)).toContain('`not_found`');
    expect(await command('/rollback', `${APP} 1e3`)).toMatch(/^Usage: `\/rollback/);
    expect(await command('/deckhand', `pin ${APP} abc`)).toMatch(/^Usage: `\/deckhand pin/);
  });

  it('while it is down: CLI commands exit 1 with database_unavailable and no SQL, in text and JSON', async () => {
    loop = requestLoop(port, { maxMs: 150_000 });
    await cluster.stop('fast');
    for (const argv of [['deploys', APP], ['deploy', APP, repo.commits[1]!], ['rollback', APP, '--yes'], ['plan-rollback', APP, '1'], ['lock', 'status']]) {
      const run = capture();
      expect(await runCli(argv, { io: run.io, services }), argv.join(' ')).toBe(1);
      expect(run.err.at(-1)).toMatch(/^deckhand: database_unavailable: deckhand cannot reach its database \((ECONNREFUSED|CONNECTION_CLOSED|57P01)\)\.$/);
      expect(run.all()).not.toMatch(LEAKS);
    }
    const json = capture();
    expect(await runCli(['deploys', APP, '--json'], { io: json.io, services })).toBe(1);
    expect(JSON.parse(json.out.join('\n'))).toEqual({ error: { code: 'database_unavailable', message: expect.stringContaining('cannot reach its database') } });
    expect(json.all()).not.toMatch(LEAKS);
  });

  it('while it is down: status says so, then what runs, from Docker alone (with its services, and built afresh)', async () => {
    const [v1] = await docker().listContainers({ filters: { label: [`deckhand.app=${APP}`] } });
    for (const context of [{ services }, { env: env() }]) {
      const run = capture();
      expect(await runCli(['status', APP], { io: run.io, ...context }), run.all()).toBe(1);
      expect(run.err).toEqual([expect.stringMatching(/^deckhand: database_unavailable: deckhand cannot reach its database \((ECONNREFUSED|CONNECTION_CLOSED|57P01)\)\.$/)]);
      expect(run.out.join('\n')).toBe(
        [
          'What runs now, from Docker and the proxy alone (history, locks and approvals are in the database, which cannot be read):',
          `${APP}: healthy`,
          `  serving:     #1 deckhand-${APP}-1 (running, port ${port})`,
          `  health:      public port http://127.0.0.1:${port}/healthz: HTTP 200`,
        ].join('\n'),
      );
      const json = capture();
      expect(await runCli(['status', '--json'], { io: json.io, ...context })).toBe(1);
      const parsed = JSON.parse(json.out.join('\n')) as { error: { code: string }; runtime: Array<{ app: string; serving: Array<{ deploymentId: number }>; health: { state: string } }> };
      expect(parsed.error.code).toBe('database_unavailable');
      expect(parsed.runtime.map((s) => [s.app, s.serving.map((c) => c.deploymentId), s.health.state])).toEqual([[APP, [1], 'healthy']]);
    }
    // Read only: the container is the same and nothing else was started.
    expect((await docker().listContainers({ all: true, filters: { label: [`deckhand.app=${APP}`] } })).map((c) => c.Id)).toEqual([v1!.Id]);
  });

  it('while it is down: /deckhand status still says what runs, from Docker alone; a lock is still refused', async () => {
    const before = slack.responses.length;
    const answer = await command('/deckhand', `status ${APP}`);
    expect(answer).toMatch(/^:warning: deckhand cannot reach its database \((ECONNREFUSED|CONNECTION_CLOSED|57P01)\)\. \(`database_unavailable`\) What runs now, from Docker and the proxy alone\.$/);
    const blocks = JSON.stringify(slack.responses.slice(before).map((r) => r.body.blocks));
    expect(blocks).toContain(`*${APP}* · :large_green_circle: *healthy* · public port ${port}: HTTP 200`);
    expect(blocks).toContain(`*Serving:* *#1* deckhand-${APP}-1 (running, port ${port})`);
    expect(blocks).toContain('Nothing was changed.');
    expect(everythingSlackSaw()).not.toMatch(LEAKS);
    // Only a read runs unrecorded: anything that changes something is still refused.
    expect(await command('/deckhand', `lock ${APP} incident`)).toContain('deckhand cannot reach its database, nothing was changed');
  });

  it('while it is down: a fresh CLI process (its own connection and migration) says database_unavailable', async () => {
    for (const argv of [['deploys', APP], ['deploy', APP, '--json'], ['rollback', APP, '--yes']]) {
      const run = capture();
      expect(await runCli(argv, { io: run.io, env: env() }), argv.join(' ')).toBe(1);
      expect(run.err.at(-1)).toBe('deckhand: database_unavailable: deckhand cannot reach its database (ECONNREFUSED).');
      expect(run.all()).not.toMatch(LEAKS);
    }
  });

  it('while it is down: bad deploy ids are refused before any query (usage exit 2, impossible ids not_found)', async () => {
    for (const id of ['abc', '1e3', '4.5', '0x10', '-1']) {
      const run = capture();
      expect(await runCli(['rollback', APP, id, '--yes'], { io: run.io, env: env() }), id).toBe(2);
      expect(run.err.at(-1)).toMatch(/^deckhand: invalid_argument: /);
    }
    for (const argv of [['rollback', APP, '99999999999', '--yes'], ['plan-rollback', APP, '0'], ['pin', APP, '#2147483648']]) {
      const run = capture();
      expect(await runCli(argv, { io: run.io, env: env() }), argv.join(' ')).toBe(1);
      expect(run.err.at(-1)).toMatch(/^deckhand: not_found: No deploy #\d+: deploy ids run from 1 to 2147483647\.$/);
    }
    // Slack records every request before acting on it (a replay must not act twice), so with the database away a
    // bad id gets the database answer; the same ids are checked in Slack once it is back (below).
    expect(await command('/rollback', `${APP} 99999999999`)).toContain('deckhand cannot reach its database, nothing was changed');
  });

  it('while it is down: the bot stays up, answers every command ephemerally and /healthz says degraded', async () => {
    expect(await healthz()).toEqual({ status: 503, body: { ok: false, status: 'degraded', database: 'unavailable' } });
    for (const [name, text] of [['/deploys', APP], ['/rollback', APP], ['/deckhand', `lock ${APP} incident`], ['/deckhand', `pin ${APP} 3`]] as const) {
      expect(await command(name, text), `${name} ${text}`).toContain('deckhand cannot reach its database, nothing was changed');
    }
    // A deploy is refused before anything starts (the request cannot even be recorded): no thread, no SQL.
    const posted = slack.of('chat.postMessage').length;
    expect(await command('/deploy', `${APP} ${repo.commits[1]}`)).toContain('deckhand cannot reach its database, nothing was changed');
    expect(slack.of('chat.postMessage').length).toBe(posted);
    expect(everythingSlackSaw()).not.toMatch(LEAKS);
    expect(unhandled).toEqual([]);
  });

  it('when it comes back, the same bot answers again with no restart; the app never stopped serving', async () => {
    await cluster.start();
    // postgres.js reconnects by itself (at most 2 s between attempts): poll, bounded, until /healthz is green.
    let health = await healthz();
    for (let attempt = 0; attempt < 20 && health.status !== 200; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      health = await healthz();
    }
    expect(health).toEqual({ status: 200, body: { ok: true } });
    expect(await command('/deploys', APP)).toContain(`Recent deploys of ${APP}`);
    expect(await command('/rollback', `${APP} 99999999999`)).toContain('`not_found`');
    expect(await command('/rollback', `${APP} 1e3`)).toMatch(/^Usage: `\/rollback/);
    expect(await command('/deckhand', `pin ${APP} abc`)).toMatch(/^Usage: `\/deckhand pin/);
    // The history is complete: the one deploy made, nothing half-recorded by the refused ones.
    const run = capture();
    expect(await runCli(['deploys', APP, '--json'], { io: run.io, services })).toBe(0);
    expect(JSON.parse(run.out.join('\n'))).toEqual([expect.objectContaining({ status: 'succeeded', commit: repo.commits[0] })]);
    // The app kept answering through the outage (no request failed), and the refused deploys started nothing.
    const served = await loop!.stop();
    loop = undefined;
    expect(served.failures).toEqual([]);
    expect([...served.bodies.keys()]).toEqual(['v1']);
    expect(served.total).toBeGreaterThan(10);
    const containers = await docker().listContainers({ all: true, filters: { label: [`deckhand.app=${APP}`] } });
    expect(containers.map((c) => c.State)).toEqual(['running']);
    expect(unhandled).toEqual([]);
  });

  it('a server that freezes mid-query (connections open, no answer) fails the query in bounded time, then recovers', async () => {
    const database = await openDatabase({ url, dataDir: 'unused', silenceTimeoutMs: 1500 });
    try {
      const { sql } = await import('drizzle-orm');
      await database.db.execute(sql`select 1`);
      await cluster.freeze();
      try {
        const failure = await database.db.execute(sql`select 1`).then(() => undefined, (error: unknown) => error);
        expect(asDeckhandError(failure)).toMatchObject({ code: 'database_unavailable' });
        expect(await healthz()).toEqual({ status: 503, body: { ok: false, status: 'degraded', database: 'unavailable' } });
      } finally {
        await cluster.thaw();
      }
      expect(await database.db.execute(sql`select 2 as two`)).toBeTruthy();
    } finally {
      await database.close();
    }
  });
});
