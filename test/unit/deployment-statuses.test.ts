import { describe, expect, it } from 'vitest';
import { renderDeployList } from '../../src/adapters/slack/blocks/deploy-list.js';
import { failureSentence } from '../../src/adapters/slack/failure-story.js';
import { formatDeploymentTable } from '../../src/cli/output.js';
import { type Deployment, type DeploymentStatus, InFlightStatuses, isTerminal, previousSuccessful } from '../../src/domain/deployment.js';
import { planRetention } from '../../src/domain/retention/policy.js';

const NOW = new Date('2026-12-01T12:00:00Z');

function d(id: number, status: DeploymentStatus, patch: Partial<Deployment> = {}): Deployment {
  const finishedAt = isTerminal(status) ? new Date(NOW.getTime() - (10 - id) * 60_000) : null;
  return {
    id, app: 'web', status, source: 'git', gitRef: 'main', commitSha: `${id}`.repeat(40).slice(0, 40), commitSubject: `release ${id}`, imageRef: `deckhand/web:${id}`,
    imageId: `sha256:${id}`, containerId: null, upstreamPort: null, trigger: 'cli', actor: 'U1', rollbackOf: null, rollbackSource: null, registryRef: null,
    envSnapshot: null, errorCode: null, error: null, logTail: null, createdAt: finishedAt ?? NOW, startedAt: finishedAt && new Date(finishedAt.getTime() - 30_000), finishedAt, ...patch,
  };
}

const reverted = d(3, 'reverted', { errorCode: 'watch_failed', error: 'Reverted #3: 3 health probes in a row failed during the watch window (last: HTTP 503); traffic went back to #2.' });
const cancelled = d(4, 'cancelled', { errorCode: 'cancelled', error: 'Cancelled #4: the deploy was aborted during its watch window (by U2); traffic went back to #2.' });

describe('reverted and cancelled deploys', () => {
  it('are terminal; watching is in flight (recovery and the lease treat it as running work)', () => {
    expect(isTerminal('reverted')).toBe(true);
    expect(isTerminal('cancelled')).toBe(true);
    expect(isTerminal('watching')).toBe(false);
    expect(InFlightStatuses).toContain('watching');
  });

  it('are never a rollback target nor the deploy retention keeps as "previous"', () => {
    const current = d(2, 'succeeded');
    expect(previousSuccessful([d(1, 'succeeded'), current, reverted, cancelled], current)?.id).toBe(1);
    const plan = planRetention({
      policy: { keepLast: 1, keepDays: 0 },
      now: NOW,
      deployments: [d(1, 'succeeded'), current, reverted, cancelled, d(5, 'watching')],
      images: [1, 2, 3, 4, 5].map((n) => ({ imageId: `sha256:${n}`, sizeBytes: 10 })),
      currentId: 2,
      pinnedIds: [],
      unfetchableCommits: [],
    });
    const by = Object.fromEntries(plan.map((p) => [p.imageId, [p.action, ...p.reasons].join(' ')]));
    expect(by).toEqual({
      'sha256:1': 'keep previous',
      'sha256:2': 'keep running keep_last',
      'sha256:3': 'prune failed_deploy',
      'sha256:4': 'prune failed_deploy',
      'sha256:5': 'keep in_progress',
    });
  });

  it('`deckhand deploys` shows the status and why', () => {
    const lines = formatDeploymentTable([cancelled, reverted]).split('\n');
    expect(lines[1]).toMatch(/^#4 +cancelled .*cancelled: Cancelled #4: the deploy was aborted during its watch window \(by U2\); traffic went back to #2\.$/);
    expect(lines[2]).toMatch(/^#3 +reverted .*watch_failed: Reverted #3: 3 health probes in a row failed .*; traffic went back to #2\.$/);
  });

  it('/deploys shows them with their reason and offers no rollback to them', () => {
    const list = renderDeployList('web', [reverted, d(2, 'succeeded'), d(1, 'succeeded')], 2);
    const json = JSON.stringify(list.blocks);
    expect(json).toContain(':leftwards_arrow_with_hook: *#3* reverted');
    expect(json).toContain('3 health probes in a row failed');
    expect(json).not.toContain('Roll back to #3');
    expect(json).toContain('Roll back to #1');
  });

  it('the thread says it in one sentence, with what still serves', () => {
    const sentence = failureSentence(reverted, 'deploy', d(2, 'succeeded'), (t) => t);
    expect(sentence).toMatch(/^Deploy #3 of web was reverted: the watch window saw it fail after traffic moved \(Reverted #3: .*\); the previous deploy #2 \(`2{7}`\) is still serving\. `watch_failed`$/);
    expect(failureSentence(cancelled, 'deploy', d(2, 'succeeded'), (t) => t)).toMatch(/^Deploy #4 of web was cancelled: it was cancelled/);
  });
});
