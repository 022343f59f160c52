import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Deployment, DeploymentStatus } from '../../src/domain/deployment.js';
import { PROTECTED_REASONS, type RetentionInput, planRetention } from '../../src/domain/retention/policy.js';
import type { AppPruneReport } from '../../src/domain/retention/prune-service.js';
import { reasonCounts } from '../../src/domain/retention/report-text.js';

const NOW = new Date('2026-11-21T12:00:00Z');
const DAY = 86_400_000;
const STATUSES: DeploymentStatus[] = ['succeeded', 'succeeded', 'succeeded', 'failed', 'building', 'queued', 'superseded'];

function deployment(id: number, status: DeploymentStatus, image: number | null, daysAgo: number, commit: number): Deployment {
  const finishedAt = ['succeeded', 'failed', 'superseded'].includes(status) ? new Date(NOW.getTime() - daysAgo * DAY) : null;
  return {
    id, app: 'web', status, source: 'git', gitRef: 'main', commitSha: `c${commit}`, commitSubject: null, imageRef: null,
    imageId: image === null ? null : `sha256:${image}`, containerId: null, upstreamPort: null, trigger: 'cli', actor: 'a',
    rollbackOf: null, rollbackSource: null, registryRef: null, envSnapshot: null, errorCode: null, error: null, logTail: null,
    createdAt: finishedAt ?? NOW, startedAt: finishedAt, finishedAt,
  };
}

const history = fc
  .record({
    rows: fc.array(fc.record({ status: fc.constantFrom(...STATUSES), image: fc.option(fc.integer({ min: 0, max: 12 }), { nil: null }), daysAgo: fc.float({ min: 0, max: 90, noNaN: true }), commit: fc.integer({ min: 0, max: 8 }) }), { minLength: 0, maxLength: 30 }),
    keepLast: fc.integer({ min: 0, max: 6 }),
    keepDays: fc.integer({ min: 0, max: 45 }),
    pinned: fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 3 }),
    unfetchable: fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 3 }),
    extraImages: fc.array(fc.integer({ min: 13, max: 16 }), { maxLength: 2 }),
  })
  .map((h) => {
    const deployments = h.rows.map((r, i) => deployment(i + 1, r.status, r.status === 'queued' || r.status === 'superseded' ? null : r.image, r.daysAgo, r.commit));
    // As the store answers: the current deploy is the last to succeed.
    const current = [...deployments].filter((d) => d.status === 'succeeded' && d.imageId).sort((a, b) => b.finishedAt!.getTime() - a.finishedAt!.getTime() || b.id - a.id)[0];
    const imageIds = [...new Set([...deployments.map((d) => d.imageId).filter((x): x is string => x !== null), ...h.extraImages.map((i) => `sha256:${i}`)])];
    return {
      policy: { keepLast: h.keepLast, keepDays: h.keepDays },
      now: NOW,
      deployments,
      images: imageIds.map((imageId) => ({ imageId, sizeBytes: 1000 })),
      currentId: current?.id ?? null,
      pinnedIds: h.pinned,
      unfetchableCommits: h.unfetchable.map((c) => `c${c}`),
    };
  });

/** The rules, written out again independently of the implementation. */
function oracle(input: RetentionInput) {
  const ok = input.deployments.filter((d: Deployment) => d.status === 'succeeded' && d.imageId).sort((a: Deployment, b: Deployment) => b.finishedAt!.getTime() - a.finishedAt!.getTime() || b.id - a.id);
  const current = ok.find((d: Deployment) => d.id === input.currentId);
  const previous = ok.find((d: Deployment) => d !== current && d.imageId !== current?.imageId);
  const protectedDeploy = (d: Deployment) =>
    d.id === input.currentId ||
    !['succeeded', 'failed', 'superseded'].includes(d.status) ||
    d === previous ||
    input.pinnedIds.includes(d.id) ||
    (d.status === 'succeeded' && input.unfetchableCommits.includes(d.commitSha!));
  const byPolicy = (d: Deployment) =>
    ok.slice(0, input.policy.keepLast).includes(d) || (d.status === 'succeeded' && input.policy.keepDays > 0 && d.finishedAt!.getTime() >= NOW.getTime() - input.policy.keepDays * DAY);
  return { protectedDeploy, byPolicy };
}

describe('retention plan (property test over random deploy histories)', () => {
  it('never prunes a protected image and keeps exactly what the policy says', () => {
    fc.assert(
      fc.property(history, (input) => {
        const plan = planRetention(input);
        const { protectedDeploy, byPolicy } = oracle(input);
        expect(plan.map((p) => p.imageId).sort()).toEqual(input.images.map((i) => i.imageId).sort());
        for (const decision of plan) {
          const users = input.deployments.filter((d) => d.imageId === decision.imageId);
          const mustKeep = users.some(protectedDeploy);
          const policyKeeps = users.some(byPolicy);
          if (mustKeep) expect(decision.action, `protected ${decision.imageId}`).toBe('keep');
          expect(decision.action).toBe(mustKeep || policyKeeps ? 'keep' : 'prune');
          if (decision.action === 'keep') expect(decision.reasons.some((r) => PROTECTED_REASONS.includes(r as never)) || decision.reasons.includes('keep_last') || decision.reasons.includes('keep_days')).toBe(true);
          if (users.length === 0) expect(decision).toMatchObject({ action: 'prune', reasons: ['unreferenced'] });
        }
      }),
      { numRuns: 500 },
    );
  });

  it('names its reasons', () => {
    const deployments = [1, 2, 3, 4, 5, 6].map((id) => deployment(id, 'succeeded', id, 10 - id, id));
    deployments.push(deployment(7, 'failed', 7, 0.5, 7));
    const plan = planRetention({ policy: { keepLast: 2, keepDays: 0 }, now: NOW, deployments, images: [1, 2, 3, 4, 5, 6, 7, 99].map((i) => ({ imageId: `sha256:${i}`, sizeBytes: 10 })), currentId: 6, pinnedIds: [2], unfetchableCommits: ['c1'] });
    const byImage = Object.fromEntries(plan.map((p) => [p.imageId.slice(7), `${p.action}:${p.reasons.join('+')}`]));
    expect(byImage).toEqual({
      '1': 'keep:only_copy',
      '2': 'keep:pinned',
      '3': 'prune:outside_policy',
      '4': 'prune:outside_policy',
      '5': 'keep:previous+keep_last',
      '6': 'keep:running+keep_last',
      '7': 'prune:failed_deploy',
      '99': 'prune:unreferenced',
    });
  });
});

describe('reason counts in reports', () => {
  it('list the reasons in one order whatever order the images came in (Docker lists them as it likes)', () => {
    const decision = (action: 'keep' | 'prune', reasons: string[]) => ({ imageId: `sha256:${reasons.join('-')}`, action, reasons, deploymentIds: [] });
    const decisions = [decision('keep', ['keep_last']), decision('keep', ['previous', 'keep_last']), decision('keep', ['running', 'keep_last']), decision('prune', ['unreferenced']), decision('prune', ['outside_policy'])];
    const texts = [decisions, [...decisions].reverse()].map((ds) => {
      const report = { decisions: ds } as unknown as AppPruneReport;
      return [reasonCounts(report, 'keep'), reasonCounts(report, 'prune')];
    });
    expect(texts[0]).toEqual(['running 1, previous 1, keep_last 3', 'outside_policy 1, unreferenced 1']);
    expect(texts[1]).toEqual(texts[0]);
    expect(reasonCounts({ decisions: [] } as unknown as AppPruneReport, 'keep')).toBe('none');
  });
});
