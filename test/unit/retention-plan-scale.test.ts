import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Deployment, DeploymentStatuses } from '../../src/domain/deployment.js';
import { type RetentionInput, planRetention } from '../../src/domain/retention/policy.js';
import { planRetentionBefore } from './retention-policy-reference.js';

const NOW = new Date('2026-11-21T12:00:00Z');

function deployment(id: number, status: Deployment['status'], image: number | null, minutesAgo: number | null, commit: number, source: Deployment['source'] = 'git'): Deployment {
  const finishedAt = minutesAgo === null ? null : new Date(NOW.getTime() - minutesAgo * 60_000);
  return {
    id, app: 'scale', status, source, gitRef: 'main', commitSha: source === 'git' ? `c${commit}` : null, commitSubject: null, imageRef: null,
    imageId: image === null ? null : `sha256:${image}`, containerId: null, upstreamPort: null, trigger: 'cli', actor: 'a',
    rollbackOf: null, rollbackSource: null, registryRef: null, envSnapshot: null, errorCode: null, error: null, logTail: null,
    createdAt: finishedAt ?? NOW, startedAt: finishedAt, finishedAt,
  };
}

/** Histories with shared images (rollbacks reuse them), every status, ties in finish time, ids out of order, images nobody ran. */
const inputs = fc
  .record({
    rows: fc.array(
      fc.record({
        status: fc.constantFrom(...DeploymentStatuses),
        image: fc.option(fc.integer({ min: 0, max: 15 }), { nil: null, freq: 6 }),
        // Coarse minutes so that finish times tie often; null for a deploy that never finished.
        minutesAgo: fc.option(fc.integer({ min: 0, max: 90 * 24 }).map((m) => m - (m % 60)), { nil: null, freq: 8 }),
        commit: fc.integer({ min: 0, max: 10 }),
        source: fc.constantFrom('git' as const, 'git' as const, 'image' as const),
      }),
      { maxLength: 40 },
    ),
    order: fc.array(fc.integer(), { maxLength: 40 }),
    keepLast: fc.integer({ min: -1, max: 8 }),
    keepDays: fc.integer({ min: 0, max: 60 }),
    current: fc.option(fc.integer({ min: 1, max: 45 }), { nil: null }),
    pinned: fc.array(fc.integer({ min: 1, max: 45 }), { maxLength: 4 }),
    unfetchable: fc.array(fc.integer({ min: 0, max: 10 }), { maxLength: 4 }),
    images: fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 20 }),
  })
  .map((h): RetentionInput => {
    const deployments = h.rows.map((r, i) => deployment(i + 1, r.status, r.image, r.minutesAgo, r.commit, r.source));
    // The store's order is not the plan's business: shuffle by the generated keys.
    const keyed = deployments.map((d, i) => ({ d, key: h.order[i] ?? i }));
    keyed.sort((a, b) => a.key - b.key);
    return {
      policy: { keepLast: h.keepLast, keepDays: h.keepDays },
      now: NOW,
      deployments: keyed.map((k) => k.d),
      images: h.images.map((i) => ({ imageId: `sha256:${i}`, sizeBytes: 1000 + i })),
      currentId: h.current,
      pinnedIds: h.pinned,
      unfetchableCommits: h.unfetchable.map((c) => `c${c}`),
    };
  });

/** A long history: `n` deploys over `images` images (several deploys per image, as rollbacks do), with every kind of row. */
function bigInput(n: number, images: number): RetentionInput {
  const statuses = ['succeeded', 'succeeded', 'succeeded', 'failed', 'reverted', 'cancelled', 'superseded', 'building'] as const;
  const deployments = Array.from({ length: n }, (_, i) => deployment(i + 1, statuses[(i * 7) % statuses.length]!, i % 11 === 5 ? null : (i * 31) % images, i % 13 === 0 ? null : n - i, i % 97));
  return {
    policy: { keepLast: 10, keepDays: 1 },
    now: NOW,
    deployments,
    images: Array.from({ length: images + 50 }, (_, i) => ({ imageId: `sha256:${i}`, sizeBytes: i })),
    currentId: n - 3,
    pinnedIds: [1, 17, Math.floor(n / 2)],
    unfetchableCommits: ['c3', 'c40'],
  };
}

/** Wraps every deploy so that each read of one of its fields is counted: the plan's work, counted without a clock. */
function counted(input: RetentionInput): { input: RetentionInput; reads: () => number } {
  let reads = 0;
  const deployments = input.deployments.map((d) => new Proxy(d, { get: (target, key, receiver) => ((reads += 1), Reflect.get(target, key, receiver)) }));
  return { input: { ...input, deployments }, reads: () => reads };
}

describe('the indexed retention plan', () => {
  it('decides exactly as the plan before it did, reasons and deploys in the same order (random histories)', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        expect(planRetention(input)).toEqual(planRetentionBefore(input));
      }),
      { numRuns: 1500 },
    );
  });

  it('decides exactly as before on long histories', () => {
    for (const [n, images] of [[2000, 300], [1500, 1500], [800, 5]] as const) {
      const input = bigInput(n, images);
      const plan = planRetention(input);
      expect(plan).toEqual(planRetentionBefore(input));
      expect(plan.filter((d) => d.action === 'prune').length).toBeGreaterThan(0);
      expect(plan.filter((d) => d.action === 'keep').length).toBeGreaterThan(0);
    }
  });

  it('reads each deploy a bounded number of times: 10× the deploys and images costs about 10× the reads, not 100×', () => {
    const reads = (plan: (input: RetentionInput) => unknown, n: number) => {
      const c = counted(bigInput(n, n));
      plan(c.input);
      return c.reads();
    };
    // The counter sees a quadratic plan: the old one reads ~4× as much for twice the input.
    const oldRatio = reads(planRetentionBefore, 1000) / reads(planRetentionBefore, 500);
    expect(oldRatio).toBeGreaterThan(3.5);
    const small = reads(planRetention, 1000);
    const large = reads(planRetention, 10_000);
    // n log n: 10 × log(10,000)/log(1,000) ≈ 13.3 at worst; a quadratic plan would be ~100.
    expect(large / small).toBeLessThan(15);
    // And in absolute terms, a few dozen reads per deploy (sorting included), not one per deploy per image.
    expect(large / 10_000).toBeLessThan(200);
  });

  it('plans 10,000 images against 10,000 deploys, every image decided with the deploys that ran it', () => {
    const input = bigInput(10_000, 10_000);
    const plan = planRetention(input);
    expect(plan).toHaveLength(10_050);
    const ran = new Map<string, number[]>();
    for (const d of input.deployments) if (d.imageId) ran.set(d.imageId, [...(ran.get(d.imageId) ?? []), d.id]);
    for (const decision of plan) expect(decision.deploymentIds).toEqual((ran.get(decision.imageId) ?? []).sort((a, b) => b - a));
    expect(plan.find((d) => d.deploymentIds.includes(input.currentId!))!.reasons).toContain('running');
    expect(plan.filter((d) => d.reasons.includes('unreferenced')).length).toBeGreaterThanOrEqual(50);
  });
});
