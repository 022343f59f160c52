import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DrizzleLeaseStore } from '../../src/adapters/db/locks-repo.js';
import { runCli } from '../../src/cli.js';
import { appLeaseName } from '../../src/domain/locks/lease.js';
import { removeImageAndContainers } from '../helpers/docker.js';
import { get } from '../helpers/http.js';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { useSlackHarness } from '../helpers/slack-harness.js';
import { buttonClick, buttonsOf, postToBolt, slashCommand } from '../helpers/slack-requests.js';

const enabled = (await haveDocker()) && (await havePostgres());
const CHANNEL = 'C1DEPLOYS';
const DURATION = String.raw`(\d+ ms|[\d.]+ s)`;
const toMs = (text: string) => (text.endsWith(' ms') ? Number(text.slice(0, -3)) : Number(text.slice(0, -2)) * 1000);
/** Both moments of a result line: serving (traffic moved) no later than finished. */
const bothMoments = (text: string) => {
  const match = new RegExp(`serving after ${DURATION}, finished after ${DURATION}`).exec(text);
  expect(match, text).not.toBeNull();
  expect(toMs(match![1]!)).toBeLessThanOrEqual(toMs(match![2]!));
};

/**
 * The rollback critical path: one plan per rollback (counted with a spy on the service's plan), and no network on a
 * reuse rollback (every git process deckhand starts goes through a `git` wrapper first on PATH that logs its argv).
 */
describe.skipIf(!enabled)('rollback critical path: one plan, no fetch when the image is reused', () => {
  const app = `e-rbpath-${process.pid}`;
  const h = useSlackHarness({
    app,
    versions: [{ body: 'v1', files: { 'migrations/0001_init.sql': 'create table t (id int);' } }, { body: 'v2', files: { 'migrations/0002_add.sql': 'alter table t add c int;' } }],
  });
  const wrapperDir = mkdtempSync(join(tmpdir(), 'e-git-wrapper-'));
  const log = join(wrapperDir, 'argv.log');
  const originalPath = process.env.PATH;
  const gitCalls = () => readFileSync(log, 'utf8').split('\n').filter(Boolean).map((line) => line.split(' '));
  const fetches = () => gitCalls().filter((argv) => argv.includes('fetch') || argv.includes('clone'));
  const resetLog = () => writeFileSync(log, '');
  const lines: string[] = [];
  const io = { out: (t: string) => void lines.push(t), err: (t: string) => void lines.push(t) };
  const rows = () => h.services.store.list(app, 50);
  let d1: Awaited<ReturnType<typeof h.services.deploys.deploy>>;
  let d2: typeof d1;

  beforeAll(async () => {
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(join(wrapperDir, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${realGit}' "$@"\n`);
    chmodSync(join(wrapperDir, 'git'), 0o755);
    process.env.PATH = `${wrapperDir}:${originalPath}`;
    resetLog();
    d1 = await h.services.deploys.deploy({ app, ref: h.repo.commits[0]!, actor: 'U1ALICE', trigger: 'cli' });
    d2 = await h.services.deploys.deploy({ app, ref: h.repo.commits[1]!, actor: 'U1ALICE', trigger: 'cli' });
    expect([d1.status, d2.status]).toEqual(['succeeded', 'succeeded']);
    // The wrapper is really in the way: the deploys' own resolve fetched through it.
    expect(fetches().length).toBeGreaterThan(0);
  });

  afterAll(() => {
    process.env.PATH = originalPath;
    vi.restoreAllMocks();
    rmSync(wrapperDir, { recursive: true, force: true });
  });

  it('CLI, reuse: the plan is made once and git never reaches the remote', async () => {
    // With --yes nobody reads the plan first: it is made under the app's lease (validate, lock, one plan), so there is
    // no earlier plan to re-check against the database and the host.
    const plan = h.services.rollbacks.plan.bind(h.services.rollbacks);
    const leases = new DrizzleLeaseStore(h.services.database.db);
    const heldWhilePlanning: Array<string | undefined> = [];
    const plans = vi.spyOn(h.services.rollbacks, 'plan').mockImplementation(async (...args) => {
      heldWhilePlanning.push((await leases.holder(appLeaseName(app)))?.holder);
      return plan(...args);
    });
    resetLog();
    lines.length = 0;
    expect(await runCli(['rollback', app, String(d1.id), '--yes', '--actor', 'U1ALICE'], { io, services: h.services })).toBe(0);
    expect(plans).toHaveBeenCalledTimes(1);
    expect(heldWhilePlanning).toEqual([expect.stringMatching(/^U1ALICE@/)]);
    // The result says when the new version served (the switch) and when the rollback finished.
    const result = lines.find((line) => line.startsWith(`Rolled ${app} back to #${d1.id}`))!;
    expect(result).toMatch(new RegExp(`^Rolled ${app} back to #${d1.id} as #\\d+ \\(reuse_image\\): serving after ${DURATION}, finished after ${DURATION}\\.$`));
    bothMoments(result);
    expect(lines.findIndex((line) => line.includes('[switch] traffic ->'))).toBeLessThan(lines.indexOf(result));
    expect(fetches()).toEqual([]);
    // git was asked (the schema diff between the two commits, the commit list) from the mirror alone.
    expect(gitCalls().some((argv) => argv.includes('diff'))).toBe(true);
    expect((await rows())[0]).toMatchObject({ status: 'succeeded', rollbackOf: d1.id, rollbackSource: 'reuse_image' });
    expect((await get(h.port)).body).toBe('v1');
    plans.mockRestore();
  });

  it('CLI, --yes refused by its plan (already current): audited as an attempt, as every rollback is, and nothing runs', async () => {
    const before = await rows();
    lines.length = 0;
    expect(await runCli(['rollback', app, String(d1.id), '--yes', '--actor', 'U1ALICE'], { io, services: h.services })).toBe(1);
    expect(lines.join('\n')).toContain('deckhand: already_current:');
    expect(await rows()).toEqual(before);
    const [audit] = await h.services.audit.list({ app, action: 'deploy.rollback' });
    expect(audit).toMatchObject({ actor: 'U1ALICE', result: 'refused', targetDeploymentId: d1.id, details: { code: 'already_current' } });
  });

  it('CLI, the plan read before confirming is the one that runs: a change before it ran is plan_changed, nothing runs', async () => {
    await h.services.controls.unlock(app, 'U1ALICE');
    const before = await rows();
    const plans = vi.spyOn(h.services.rollbacks, 'plan');
    lines.length = 0;
    const confirm = async () => {
      await h.services.controls.lock(app, 'freeze for the incident', 'U2DAVE');
      return true;
    };
    expect(await runCli(['rollback', app, String(d2.id), '--actor', 'U1ALICE'], { io, services: h.services, confirm })).toBe(1);
    expect(plans).toHaveBeenCalledTimes(1);
    expect(lines.join('\n')).toContain('deckhand: plan_changed: The plan changed after it was confirmed: The app is now locked (U2DAVE: freeze for the incident).');
    expect(await rows()).toEqual(before);
    expect((await get(h.port)).body).toBe('v1');
    await h.services.controls.unlock(app, 'U2DAVE');
    plans.mockRestore();
  });

  it('Slack, reuse: /rollback plans once, Confirm only re-checks it, and git never reaches the remote', async () => {
    const plans = vi.spyOn(h.services.rollbacks, 'plan');
    resetLog();
    const send = async (body: string) => {
      expect((await postToBolt(h.bot.url, body)).status).toBe(200);
      await h.bot.idle();
    };
    const before = h.slack.responses.length;
    await send(slashCommand('/rollback', `${app} ${d2.id}`, 'U1ALICE', CHANNEL));
    const card = h.slack.responses.slice(before).find((r) => buttonsOf(r.body).length > 0)!;
    await send(buttonClick(buttonsOf(card.body).find((b) => b.action_id === 'rollback_confirm')!, 'U1ALICE', CHANNEL));
    expect((await rows())[0]).toMatchObject({ status: 'succeeded', rollbackOf: d2.id, rollbackSource: 'reuse_image' });
    expect((await get(h.port)).body).toBe('v2');
    expect(plans).toHaveBeenCalledTimes(1);
    expect(fetches()).toEqual([]);
    const parent = h.slack.of('chat.postMessage').find((c) => String(c.args.text).includes(`Rolling ${app} back to #${d2.id}`))!;
    const final = h.slack.finalText(parent) ?? '';
    expect(final).toMatch(new RegExp(`${app} rolled back to #${d2.id} in ${DURATION} \\(as #\\d+, reuse_image\\): serving after ${DURATION}, finished after ${DURATION}`));
    bothMoments(final);
    plans.mockRestore();
  });

  it('rebuild of a commit missing from the mirror: it fetches, then builds and serves it (one plan)', async () => {
    await h.services.controls.unlock(app, 'U1ALICE');
    // A mirror that has lost every object (same remote, mirror refspec): both commits must come from the remote.
    const mirror = join(h.services.dataDir, 'mirrors', `${app}.git`);
    rmSync(mirror, { recursive: true, force: true });
    execFileSync('git', ['init', '-q', '--bare', mirror]);
    execFileSync('git', ['-C', mirror, 'remote', 'add', '--mirror=fetch', 'origin', h.repo.url]);
    await removeImageAndContainers(d1.imageId!);
    const plans = vi.spyOn(h.services.rollbacks, 'plan');
    resetLog();
    lines.length = 0;
    expect(await runCli(['rollback', app, String(d1.id), '--actor', 'U1ALICE'], { io, services: h.services, confirm: async () => true })).toBe(0);
    expect(plans).toHaveBeenCalledTimes(1);
    expect(fetches().length).toBe(1);
    bothMoments(lines.find((line) => line.includes('(rebuild_from_source): '))!);
    expect((await rows())[0]).toMatchObject({ status: 'succeeded', rollbackOf: d1.id, rollbackSource: 'rebuild_from_source', commitSha: h.repo.commits[0] });
    expect((await get(h.port)).body).toBe('v1');
    plans.mockRestore();
  });
});
