import { describe, expect, it } from 'vitest';
import { renderApproval } from '../../src/adapters/slack/blocks/approval.js';
import { renderDeployList } from '../../src/adapters/slack/blocks/deploy-list.js';
import { renderRecoveryReport } from '../../src/adapters/slack/blocks/recovery-report.js';
import { renderClosedCard, renderRollbackConfirmation } from '../../src/adapters/slack/blocks/rollback-confirmation.js';
import { failureSentence, nextStepButtons } from '../../src/adapters/slack/failure-story.js';
import { section } from '../../src/adapters/slack/blocks/common.js';
import type { ChangeContext } from '../../src/domain/approvals/change-context.js';
import type { RollbackPlan } from '../../src/domain/rollback/plan.js';
import { renderLocked, renderUnlocked } from '../../src/adapters/slack/blocks/locks.js';
import { renderPruneFailure, renderPruneReport, renderRetentionSummary } from '../../src/adapters/slack/blocks/prune-report.js';
import { renderAppStatus, renderStatusOverview } from '../../src/adapters/slack/blocks/status.js';
import { HELP } from '../../src/adapters/slack/commands/deckhand.js';
import { errorText } from '../../src/adapters/slack/handler-kit.js';
import type { Approval } from '../../src/domain/approvals/approval.js';
import type { Deployment } from '../../src/domain/deployment.js';
import { DeckhandError } from '../../src/domain/errors.js';
import type { AppPruneReport, PruneReport } from '../../src/domain/retention/prune-service.js';
import type { AppStatus } from '../../src/domain/status/status-service.js';
import { blockKitViolations } from '../helpers/block-kit.js';

/**
 * Each message kind as a person reads it in Slack: date tokens shown as their fallback, mentions as @name, entities
 * unescaped, buttons in brackets, the notification text (fallback) first. Every one passes the Block Kit checker.
 */
function asRead(message: { text?: string; blocks?: Array<Record<string, any>> }): string {
  expect(blockKitViolations(message)).toEqual([]);
  const read = (t: string) => t.replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1').replace(/<@([UW][A-Z0-9]+)>/g, '@$1').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const lines = [`[notification] ${read(message.text ?? '')}`];
  for (const block of message.blocks ?? []) {
    if (block.type === 'header') lines.push(`# ${block.text.text}`);
    if (block.type === 'section') lines.push(read(block.text.text) + (block.accessory?.type === 'button' ? `  [${block.accessory.text.text}]` : ''));
    if (block.type === 'context') lines.push(...block.elements.map((e: { text: string }) => `  (${read(e.text)})`));
    if (block.type === 'actions') lines.push(block.elements.map((e: { text: { text: string } }) => `[${e.text.text}]`).join(' '));
    if (block.type === 'divider') lines.push('---');
  }
  return lines.join('\n');
}

const at = (minute: number) => new Date(Date.UTC(2026, 11, 4, 14, minute, 0));
const SHA = 'c0ffee1234567890c0ffee1234567890c0ffee12';
const deploy = (over: Partial<Deployment>): Deployment => ({
  id: 1, app: 'web', status: 'succeeded', source: 'git', gitRef: 'main', commitSha: SHA, commitSubject: 'Add the <b> & stuff', imageRef: null, imageId: 'sha256:1',
  containerId: null, upstreamPort: null, trigger: 'slack', actor: 'U1ANA', rollbackOf: null, rollbackSource: null, registryRef: null, envSnapshot: null,
  errorCode: null, error: null, logTail: null, createdAt: at(0), startedAt: at(0), finishedAt: at(1), ...over,
});
const serving = deploy({ id: 42, startedAt: new Date(at(10).getTime()), finishedAt: new Date(at(10).getTime() + 4200), createdAt: at(10) });
const failed = deploy({ id: 43, status: 'failed', actor: 'cli:ops', errorCode: 'health_check_failed', error: 'The new container did not answer /healthz within 30 s (HTTP 500).', createdAt: at(20), startedAt: at(20), finishedAt: at(21) });
const rollback = deploy({ id: 41, rollbackOf: 39, rollbackSource: 'reuse_image', startedAt: at(5), finishedAt: new Date(at(5).getTime() + 3_900_000), createdAt: at(5) });
const approval: Approval = { id: 7, app: 'web', kind: 'rollback', deploymentId: null, targetId: 39, baselineId: 42, requestedBy: 'U2BOB', channel: 'C1', messageTs: null, status: 'pending', decidedBy: null, decidedAt: null, expiresAt: at(50), createdAt: at(20) };
const lock = { app: 'web', reason: "rolling back bad migration <!channel>", lockedBy: 'U1ANA', lockedAt: at(30), deploymentId: null };

const healthy: AppStatus = {
  app: 'web', checkedAt: at(40), mode: 'proxy', serving,
  health: { state: 'healthy', probes: [{ where: 'public', url: 'http://127.0.0.1:8080/healthz', ok: true, detail: 'HTTP 200' }, { where: 'upstream', url: 'http://127.0.0.1:41234/healthz', ok: true, detail: 'HTTP 200' }], container: { name: 'deckhand-web-42', running: true, status: 'running', restartCount: 0, exitCode: null } },
  processes: [{ name: 'worker', replicas: 2, running: 2, containers: [{ name: 'deckhand-web-42.worker.1', running: true, status: 'running', restartCount: 0 }, { name: 'deckhand-web-42.worker.2', running: true, status: 'running', restartCount: 1 }] }],
  lock, inProgress: [deploy({ id: 44, status: 'queued', actor: 'U2BOB', startedAt: null, finishedAt: null, createdAt: at(35) })], pendingApprovals: [approval], lastFailure: failed,
  window: [{ deploymentId: 42, path: 'running' }, { deploymentId: 41, path: 'instant' }, { deploymentId: 40, path: 'pull' }, { deploymentId: 39, path: 'rebuild' }, { deploymentId: 12, path: 'impossible' }],
};
const down: AppStatus = {
  app: 'api', checkedAt: at(40), mode: 'recreate', serving: deploy({ id: 9, app: 'api', actor: 'deckhand:recover' }),
  health: { state: 'down', probes: [{ where: 'public', url: 'http://127.0.0.1:9090/healthz', ok: false, detail: 'ECONNREFUSED' }], container: { name: 'deckhand-api-9', running: false, status: 'exited', restartCount: 3, exitCode: 137 }, note: 'The container of #9 is exited.' },
  processes: [],
  lock: null, inProgress: [], pendingApprovals: [], lastFailure: null, window: [], windowError: 'The repository could not be fetched.',
};

const pruneApp = (over: Partial<AppPruneReport> = {}): AppPruneReport => ({
  app: 'web', policy: { keepLast: 2, keepDays: 7 },
  decisions: [
    { imageId: 'sha256:a', sizeBytes: 80_000_000, action: 'keep', reasons: ['running', 'keep_last'], deploymentIds: [42] },
    { imageId: 'sha256:b', sizeBytes: 80_000_000, action: 'keep', reasons: ['previous', 'keep_last'], deploymentIds: [41] },
    { imageId: 'sha256:c', sizeBytes: 80_000_000, action: 'prune', reasons: ['outside_policy'], deploymentIds: [40] },
    { imageId: 'sha256:d', sizeBytes: 79_000_000, action: 'prune', reasons: ['failed_deploy'], deploymentIds: [43] },
  ],
  bytesToFree: 3_500_000, bytesOnDisk: 84_000_000, bytesFreed: 3_500_000, removedImages: 2, removedContainers: 1, registryDeleted: [],
  window: [{ deploymentId: 42, path: 'running' }, { deploymentId: 41, path: 'instant' }, { deploymentId: 40, path: 'rebuild' }], failures: [], ...over,
});
const report = (dryRun: boolean): PruneReport => ({ dryRun, startedAt: at(0), finishedAt: at(1), apps: [pruneApp({ bytesFreed: dryRun ? 0 : 3_500_000 }), pruneApp({ app: 'api', skipped: 'a deploy was running; nothing was pruned for this app', decisions: [], bytesToFree: 0, bytesFreed: 0, window: [] })] });

describe('every message deckhand renders from this slice, as a person reads it', () => {
  it('the deploy list', () => {
    expect(asRead(renderDeployList('web', [failed, serving, rollback], 42, [{ name: 'worker', replicas: 2 }, { name: 'scheduler', replicas: 1 }]))).toMatchInlineSnapshot(`
      "[notification] Recent deploys of web
      # Deploys of web
      :x: *#43* failed
      \`c0ffee1\` Add the <b> & stuff
      by cli:ops · 2026-12-04 14:20 UTC · took 1 min
      _The new container did not answer /healthz within 30 s (HTTP 500). (\`health_check_failed\`)_
      :white_check_mark: *#42* succeeded · *serving now* · runs web + worker ×2 + scheduler ×1
      \`c0ffee1\` Add the <b> & stuff
      by @U1ANA · 2026-12-04 14:10 UTC · took 4.2 s
      :white_check_mark: *#41* succeeded
      \`c0ffee1\` Add the <b> & stuff
      by @U1ANA · 2026-12-04 14:05 UTC · took 1 h 5 min
      :leftwards_arrow_with_hook: rollback to #39 (image reused)  [Roll back to #41]"
    `);
    expect(asRead(renderDeployList('web', [], null))).toMatchInlineSnapshot(`
      "[notification] Recent deploys of web
      # Deploys of web
      _No deploys of web yet._ \`/deploy web\` makes the first one."
    `);
  });

  it('/deckhand status for one app, healthy and down', () => {
    expect(asRead(renderAppStatus(healthy))).toMatchInlineSnapshot(`
      "[notification] web: healthy, #42 serving, locked
      # Status of web
      *Serving:* :white_check_mark: *#42* \`c0ffee1\` Add the <b> & stuff · by @U1ANA · serving for 29 min 56 s, since 2026-12-04 14:10 UTC
      *Health now:* :large_green_circle: *healthy* · public port 8080: HTTP 200 · container port 41234: HTTP 200 · container deckhand-web-42 running
      *Processes:* :large_green_circle: worker 2/2 running (deckhand-web-42.worker.2 restarted 1x)
      *Lock:* :lock: *web* is locked by @U1ANA since 2026-12-04 14:30 UTC: 'rolling back bad migration <!channel>' — \`/deckhand unlock web\` when ready
      *In progress:*
      :hourglass: #44 queued · \`c0ffee1\` Add the <b> & stuff · by @U2BOB · asked 5 min ago
      *Waiting for approval:*
      :raised_hand: @U2BOB asks to roll back to #39 · expires 2026-12-04 14:50 UTC
      *Last failure:* :x: #43 \`c0ffee1\` Add the <b> & stuff · by cli:ops · 2026-12-04 14:21 UTC
      The new container did not answer /healthz within 30 s (HTTP 500). (\`health_check_failed\`)
      *Rollback window:* #42 running; #41 instant (image on host); #40 needs a pull; #39 needs a rebuild; #12 no longer possible · \`/rollback web\` shows the plan first
        (Checked 2026-12-04 14:40 UTC · traffic via the proxy)"
    `);
    expect(asRead(renderAppStatus(down))).toMatchInlineSnapshot(`
      "[notification] api: down, #9 serving
      # Status of api
      *Serving:* :white_check_mark: *#9* \`c0ffee1\` Add the <b> & stuff · by deckhand:recover · serving for 39 min, since 2026-12-04 14:01 UTC
      *Health now:* :red_circle: *down* · public port 9090: ECONNREFUSED · container deckhand-api-9 exited, restarted 3 time(s) · The container of #9 is exited.
      *Lock:* not locked
      *In progress:* nothing
      *Waiting for approval:* nothing
      *Rollback window:* could not be worked out: The repository could not be fetched. · \`/rollback api\` shows the plan first
        (Checked 2026-12-04 14:40 UTC · traffic via recreate (no proxy))"
    `);
  });

  it('/deckhand status for every app', () => {
    expect(asRead(renderStatusOverview([healthy, down]))).toMatchInlineSnapshot(`
      "[notification] 2 app(s), 1 not healthy
      # Status
      *web* :large_green_circle: healthy · #42 \`c0ffee1\` Add the <b> & stuff by @U1ANA since 2026-12-04 14:10 UTC · :lock: locked by @U1ANA · 1 in progress · 1 waiting for approval · :x: #43 failed
      *api* :red_circle: down · #9 \`c0ffee1\` Add the <b> & stuff by deckhand:recover since 2026-12-04 14:01 UTC
        (\`/deckhand status <app>\` shows one app in full, with its rollback window.)"
    `);
    expect(asRead(renderStatusOverview([]))).toMatchInlineSnapshot(`
      "[notification] No apps are configured.
      # Status
      No apps are configured.
        (\`/deckhand status <app>\` shows one app in full, with its rollback window.)"
    `);
  });

  it('the prune report, its dry run, a failed scheduled prune and the weekly summary', () => {
    expect(asRead(renderPruneReport(report(false), 'U1ANA'))).toMatchInlineSnapshot(`
      "[notification] Prune report: freed 3.3 MiB
      # Prune report: freed 3.3 MiB
      *web* (keep last 2 or 7 days)
      Kept 2: running 1, previous 1, keep_last 2
      Pruned 2: outside_policy 1, failed_deploy 1 · freed *3.3 MiB*
      Rollback window: #42 running; #41 instant (image on host); #40 needs a rebuild
      *api* (keep last 2 or 7 days)
      :fast_forward: skipped: a deploy was running; nothing was pruned for this app
      Kept 0: none
      Pruned 0: none · freed *0 B*
      Rollback window: no successful deploys
        (2 app(s) · asked by @U1ANA · finished 2026-12-04 14:01 UTC · bytes count shared image layers once)"
    `);
    expect(asRead(renderPruneReport(report(true)))).toMatchInlineSnapshot(`
      "[notification] Prune dry run: would free 3.3 MiB
      # Prune dry run: would free 3.3 MiB
      *web* (keep last 2 or 7 days)
      Kept 2: running 1, previous 1, keep_last 2
      Would prune 2: outside_policy 1, failed_deploy 1 · would free *3.3 MiB*
      Rollback window: #42 running; #41 instant (image on host); #40 needs a rebuild
      *api* (keep last 2 or 7 days)
      :fast_forward: skipped: a deploy was running; nothing was pruned for this app
      Kept 0: none
      Would prune 0: none · would free *0 B*
      Rollback window: no successful deploys
        (2 app(s) · finished 2026-12-04 14:01 UTC · bytes count shared image layers once)"
    `);
    expect(asRead(renderPruneFailure('database_unavailable', 'deckhand cannot reach its database'))).toMatchInlineSnapshot(`"[notification] :x: The scheduled prune failed: deckhand cannot reach its database. It runs again at its next scheduled time; \`/deckhand prune\` runs it now (\`database_unavailable\`)."`);
    expect(asRead(renderRetentionSummary([pruneApp()]))).toMatchInlineSnapshot(`
      "[notification] Retention summary
      # Retention summary
      *web*: 4 image(s), *80 MiB* on disk
      Rollback window: #42 running; #41 instant (image on host); #40 needs a rebuild
      Next prune would remove 2 image(s) (3.3 MiB)"
    `);
  });

  it('lock, unlock, and a deploy refused by the lock', () => {
    expect(asRead(renderLocked('web', lock))).toMatchInlineSnapshot(`"[notification] :lock: *web* is locked by @U1ANA since 2026-12-04 14:30 UTC: 'rolling back bad migration <!channel>'. Forward deploys are refused until \`/deckhand unlock web\`; rollbacks still work."`);
    expect(asRead(renderUnlocked('web', 'U2BOB', lock))).toMatchInlineSnapshot(`"[notification] :unlock: @U2BOB unlocked *web* (was: rolling back bad migration <!channel>). It was locked by @U1ANA 2026-12-04 14:30 UTC; deploys are open again."`);
    const refused = new DeckhandError('app_locked', 'web is locked', { app: 'web', lockedBy: 'U1ANA', reason: 'rolling back bad migration' });
    expect(asRead({ text: errorText(refused) })).toMatchInlineSnapshot(`"[notification] :no_entry: *web* is locked by @U1ANA: 'rolling back bad migration' — \`/deckhand unlock web\` when ready (\`app_locked\`)"`);
  });

  it('/deckhand help', () => {
    expect(asRead({ text: HELP })).toMatchInlineSnapshot(`
      "[notification] *deckhand* deploys apps onto our Docker hosts and rolls them back safely. Every command answers you; refusals say why and what to do.
      • \`/deploy <app> [ref] [-- reason]\`: build and deploy a branch, tag or commit (default: the app's branch); progress in a thread
      • \`/deploys <app> [limit]\`: recent deploys (1-20, default 10), with "Roll back" buttons
      • \`/rollback <app> [deploy-id] [-- reason]\`: shows the plan (how the image comes back, warnings, what is not restored), then asks to confirm
      • \`/deckhand status [app]\`: what serves now, its health right now, the lock, work in progress, approvals, the last failure and the rollback window; without an app, one line per app
      • \`/deckhand lock <app> <reason>\` / \`/deckhand unlock <app>\`: stop or allow forward deploys (rollbacks still work)
      • \`/deckhand abort <app>\`: stop the app's running deploy or rollback; it ends cancelled and the previous version keeps serving (also the Abort button on its progress message, and \`deckhand abort <app>\`)
      • \`/deckhand prune [app] [dry-run]\`: remove images retention no longer keeps, and post the report here
      • \`/deckhand pin <app> <deploy-id>\` / \`/deckhand unpin <app> <deploy-id>\`: keep a deploy's image whatever the policy says
      • \`/deckhand help\`: this text
      Break-glass CLI on the deckhand host: \`deckhand status\`, \`deckhand audit\`, \`deckhand recover\` and the rest (\`deckhand help\`)."
    `);
  });

  const changes: ChangeContext = {
    current: { sha: SHA, subject: 'Add the <b> & stuff', author: 'Ana' },
    target: { sha: 'deadbeef'.repeat(5), subject: 'Fix checkout', author: 'Bob' },
    direction: 'back',
    commits: [{ sha: SHA, subject: 'Add the <b> & stuff', author: 'Ana' }, { sha: 'abad1dea'.repeat(5), subject: 'Tune cache', author: 'Cy' }],
    more: 3,
    compareUrl: 'https://github.com/acme/web/compare/deadbeef...c0ffee12',
    migrations: ['migrations/0042_add_orders.sql'],
    notes: [],
  };
  const plan: RollbackPlan = {
    app: 'web',
    target: { id: 39, gitRef: 'main', commitSha: 'deadbeef'.repeat(5), commitSubject: 'Fix checkout', imageRef: null, imageId: 'sha256:9', registryRef: null, actor: 'U2BOB', finishedAt: at(2) },
    current: { id: 42, commitSha: SHA, imageRef: null },
    artifact: { source: 'reuse_image', detail: 'The image of #39 is still on this host.', estimateMs: null },
    warnings: ['Migrations have been applied since #39: the schema may not match.'],
    schema: { migrationFiles: ['migrations/0042_add_orders.sql'], appliedMigrations: [], notes: [] },
    envChanges: { added: ['NEW_FLAG'], removed: [], changed: [] },
    commit: { present: true, reachable: true },
    notRestored: ['environment variables', 'secrets', 'database schema', 'volumes'],
    changes,
    lock: null,
    inProgress: [],
  };

  it('the rollback card, a replanned card and a closed card', () => {
    expect(asRead(renderRollbackConfirmation(plan, 'n', { requestedBy: 'U1ANA', reason: 'checkout is broken', expiresAt: at(55) }))).toMatchInlineSnapshot(`
      "[notification] Roll back web to #39? Warning: migrations have been applied since this deploy.
      # Roll back web to #39?
      *Target:* #39 \`deadbee\` Fix checkout
      deployed by @U2BOB 2026-12-04 14:02 UTC · replaces #42
      :zap: *Reuse the image still on this host*: seconds, byte-identical.
      The image of #39 is still on this host.
        (Asked by @U1ANA: “checkout is broken”)
      *Running now:* \`c0ffee1\` Add the <b> & stuff — Ana
      *Target:* \`deadbee\` Fix checkout — Bob
      *5 commits undone by this rollback:*
      • \`c0ffee1\` Add the <b> & stuff — Ana
      • \`abad1de\` Tune cache — Cy
      …and 3 more
      <https://github.com/acme/web/compare/deadbeef...c0ffee12|Compare on GitHub>
      :warning: *Migrations have been applied since this deploy. Schema mismatch possible.*
      Migration files changed since then:
      • \`migrations/0042_add_orders.sql\`
      :information_source: Env names that differ (values never shown): NEW_FLAG (added)
        (*Not restored:* environment variables, secrets, database schema, volumes. A rollback restores the code only and keeps today's env.)
        (This card expires 2026-12-04 14:55 UTC.)
      [Confirm rollback to #39] [Cancel]"
    `);
    expect(asRead(renderRollbackConfirmation(plan, 'n', { requestedBy: 'U1ANA', reason: null, expiresAt: at(55), changed: ['#43 serves now, not #42.'] }))).toMatchInlineSnapshot(`
      "[notification] The plan changed; read it again. Roll back web to #39? Warning: migrations have been applied since this deploy.
      :arrows_counterclockwise: *The plan changed since this card was shown; nothing was rolled back.* Read it again:
      • #43 serves now, not #42.
      # Roll back web to #39?
      *Target:* #39 \`deadbee\` Fix checkout
      deployed by @U2BOB 2026-12-04 14:02 UTC · replaces #42
      :zap: *Reuse the image still on this host*: seconds, byte-identical.
      The image of #39 is still on this host.
        (Asked by @U1ANA (no reason given))
      *Running now:* \`c0ffee1\` Add the <b> & stuff — Ana
      *Target:* \`deadbee\` Fix checkout — Bob
      *5 commits undone by this rollback:*
      • \`c0ffee1\` Add the <b> & stuff — Ana
      • \`abad1de\` Tune cache — Cy
      …and 3 more
      <https://github.com/acme/web/compare/deadbeef...c0ffee12|Compare on GitHub>
      :warning: *Migrations have been applied since this deploy. Schema mismatch possible.*
      Migration files changed since then:
      • \`migrations/0042_add_orders.sql\`
      :information_source: Env names that differ (values never shown): NEW_FLAG (added)
        (*Not restored:* environment variables, secrets, database schema, volumes. A rollback restores the code only and keeps today's env.)
        (This card expires 2026-12-04 14:55 UTC.)
      [Confirm rollback to #39] [Cancel]"
    `);
    expect(asRead(renderClosedCard('web', 39, 'cancelled', 'U1ANA', at(45)))).toMatchInlineSnapshot(`
      "[notification] Rollback cancelled: roll back web to #39; nothing was rolled back.
      :x: Rollback cancelled by @U1ANA 2026-12-04 14:45 UTC; nothing was rolled back. Run \`/rollback web 39\` for a fresh plan."
    `);
  });

  it('an approval request with its context', () => {
    const pending: Approval = { ...approval, reason: 'checkout is broken <!here>', plan: { label: null, changes, lock: null, inProgress: [], facts: {} as never, shownAt: at(20).toISOString() } };
    expect(asRead(renderApproval(pending, 'roll *web* back to #39'))).toMatchInlineSnapshot(`
      "[notification] Approval needed: roll *web* back to #39
      :raised_hand: *Approval needed* · @U2BOB asks to roll *web* back to #39.
        (*Why:* “checkout is broken <!here>”)
      *Running now:* \`c0ffee1\` Add the <b> & stuff — Ana
      *Target:* \`deadbee\` Fix checkout — Bob
      *5 commits undone by this rollback:*
      • \`c0ffee1\` Add the <b> & stuff — Ana
      • \`abad1de\` Tune cache — Cy
      …and 3 more
      <https://github.com/acme/web/compare/deadbeef...c0ffee12|Compare on GitHub>
      :warning: *Migrations applied since the target:*
      • \`migrations/0042_add_orders.sql\`
        (Any approver but the requester may decide. Expires 2026-12-04 14:50 UTC.)
      [Approve] [Deny]"
    `);
  });

  it('a failed deploy: what broke, what still serves, and the next steps', () => {
    const broken = deploy({ id: 43, status: 'failed', errorCode: 'health_check_failed', error: 'the container exited with code 3 before /healthz answered 2xx' });
    const text = failureSentence(broken, 'deploy', serving, (t) => t);
    expect(asRead({ text, blocks: [section(text), nextStepButtons(broken, 'deploy', { rollbackTo: 41, retryRef: 'main' })] })).toMatchInlineSnapshot(`
      "[notification] Deploy #43 of web failed: the new container never passed its health check (the container exited with code 3 before /healthz answered 2xx); the previous deploy #42 (\`c0ffee1\`) is still serving. \`health_check_failed\`
      Deploy #43 of web failed: the new container never passed its health check (the container exited with code 3 before /healthz answered 2xx); the previous deploy #42 (\`c0ffee1\`) is still serving. \`health_check_failed\`
      [Roll back to #41] [Show full log] [Retry]"
    `);
  });

  it('the watchdog\'s recovery report', () => {
    expect(asRead(renderRecoveryReport(['web: deckhand-web-42 (#42) was not running: started it again', 'web: pointed the proxy back at deckhand-web-42']))).toMatchInlineSnapshot(`
      "[notification] :rotating_light: deckhand made what runs and what is recorded agree again:
      • web: deckhand-web-42 (#42) was not running: started it again
      • web: pointed the proxy back at deckhand-web-42"
    `);
  });
});
