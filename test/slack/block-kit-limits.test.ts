import { describe, expect, it } from 'vitest';
import { renderApproval } from '../../src/adapters/slack/blocks/approval.js';
import { renderDeployList } from '../../src/adapters/slack/blocks/deploy-list.js';
import { clipLines, logTailBlock } from '../../src/adapters/slack/blocks/limits.js';
import { renderRollbackConfirmation } from '../../src/adapters/slack/blocks/rollback-confirmation.js';
import type { Deployment } from '../../src/domain/deployment.js';
import type { RollbackPlan } from '../../src/domain/rollback/plan.js';
import { blockKitViolations } from '../helpers/block-kit.js';

const long = (n: number) => 'x'.repeat(n);

function row(id: number): Deployment {
  const at = new Date('2026-11-01T10:00:00Z');
  return {
    id, app: 'web', status: id % 3 ? 'succeeded' : 'failed', source: 'git', gitRef: 'main', commitSha: 'a'.repeat(40), commitSubject: long(5000), imageRef: null, imageId: 'sha256:1',
    containerId: null, upstreamPort: null, trigger: 'slack', actor: 'U1', rollbackOf: id % 5 ? null : 1, rollbackSource: id % 5 ? null : 'reuse_image', registryRef: null, envSnapshot: null,
    errorCode: id % 3 ? null : 'build_failed', error: id % 3 ? null : long(9000), logTail: null, createdAt: at, startedAt: at, finishedAt: at,
  };
}

describe('every renderer holds Block Kit limits, saying what it cut', () => {
  it('a list of 200 deploys with huge subjects and errors', () => {
    const message = renderDeployList('web', Array.from({ length: 200 }, (_, i) => row(i + 1)), 2);
    expect(blockKitViolations(message)).toEqual([]);
    expect(message.blocks).toHaveLength(50);
    expect(JSON.stringify(message.blocks.at(-1))).toContain('…and 152 more');
  });

  it('a confirmation with 500 migration files and 500 applied migrations, and a huge app name', () => {
    const plan: RollbackPlan = {
      app: long(200),
      target: { id: 99_999, gitRef: 'main', commitSha: 'b'.repeat(40), commitSubject: long(4000), imageRef: null, imageId: 'sha256:2', registryRef: null, actor: 'U1', finishedAt: new Date() },
      current: { id: 100_000, commitSha: 'c'.repeat(40), imageRef: null },
      artifact: { source: 'rebuild_from_source', detail: long(4000), estimateMs: 65_000 },
      warnings: ['Migrations have been applied since this deploy. Schema mismatch possible.', ...Array.from({ length: 300 }, (_, i) => `warning ${i} ${long(50)}`)],
      schema: { migrationFiles: Array.from({ length: 500 }, (_, i) => `migrations/${String(i).padStart(4, '0')}_${long(40)}.sql`), appliedMigrations: Array.from({ length: 500 }, (_, i) => `m${i}`), notes: [] },
      envChanges: { added: Array.from({ length: 400 }, (_, i) => `VAR_${i}`), removed: [], changed: [] },
      commit: { present: true, reachable: false },
      notRestored: ['environment variables', 'secrets', 'database schema', 'volumes'],
    };
    const message = renderRollbackConfirmation(plan, 'nonce');
    expect(blockKitViolations(message)).toEqual([]);
    expect(JSON.stringify(message.blocks)).toMatch(/…and \d+ more/);
  });

  it('approvals, log tails and line lists', () => {
    const approval = { id: 1, app: long(300), kind: 'deploy' as const, deploymentId: 1, targetId: null, baselineId: null, requestedBy: 'U1', channel: 'C1', messageTs: null, status: 'pending' as const, decidedBy: null, decidedAt: null, expiresAt: new Date(), createdAt: new Date() };
    expect(blockKitViolations(renderApproval(approval, long(5000)))).toEqual([]);
    const tail = logTailBlock(Array.from({ length: 10_000 }, (_, i) => `line ${i} ${long(100)}`));
    expect(tail.length).toBeLessThanOrEqual(3000);
    expect(tail).toMatch(/^```…\d+ earlier lines\n/);
    expect(tail).toContain('line 9999');
    expect(clipLines(['a', 'b', 'c', long(50)], 20)).toBe('a\nb\nc\n…and 1 more');
  });
});
