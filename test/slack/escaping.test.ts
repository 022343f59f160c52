import { describe, expect, it } from 'vitest';
import { renderApproval } from '../../src/adapters/slack/blocks/approval.js';
import { renderDeployList } from '../../src/adapters/slack/blocks/deploy-list.js';
import { logTailBlock } from '../../src/adapters/slack/blocks/limits.js';
import { renderPruneFailure } from '../../src/adapters/slack/blocks/prune-report.js';
import { renderRecoveryReport } from '../../src/adapters/slack/blocks/recovery-report.js';
import { renderRollbackConfirmation } from '../../src/adapters/slack/blocks/rollback-confirmation.js';
import { code, esc, fenceLine, fenced } from '../../src/adapters/slack/blocks/text.js';
import { ProgressStreamer } from '../../src/adapters/slack/progress-streamer.js';
import type { DeployEvent } from '../../src/domain/deploy/events.js';
import type { Deployment } from '../../src/domain/deployment.js';
import { makeRedactor } from '../../src/domain/redact.js';
import { blockKitViolations } from '../helpers/block-kit.js';
import { useMockedGateway } from '../helpers/mock-gateway.js';

const HOSTILE = '<!everyone> & <@U123> <https://evil.example|click> <!channel>';
const ESCAPED = '&lt;!everyone&gt; &amp; &lt;@U123&gt; &lt;https://evil.example|click&gt; &lt;!channel&gt;';

/** Nothing in the message Slack would turn into a mention or a link. */
function expectInert(message: unknown) {
  const json = JSON.stringify(message);
  for (const live of ['<!everyone>', '<!channel>', '<@U123>', '<https://evil']) expect(json).not.toContain(live);
}

/** A ``` block opens once and closes once, at its ends: nothing inside can close it. */
function expectSealedFence(block: string) {
  expect(block.startsWith('```')).toBe(true);
  expect(block.endsWith('```')).toBe(true);
  expect(block.slice(3, -3)).not.toContain('``');
  expect(block.slice(3, -3).startsWith('`')).toBe(false);
  expect(block.slice(3, -3).endsWith('`')).toBe(false);
}

const deployment = (over: Partial<Deployment> = {}): Deployment => ({
  id: 7, app: 'web', status: 'failed', source: 'git', gitRef: 'main', commitSha: 'a'.repeat(40), commitSubject: HOSTILE, imageRef: null, imageId: 'sha256:1',
  containerId: null, upstreamPort: null, trigger: 'cli', actor: `ops ${HOSTILE}`, rollbackOf: null, rollbackSource: null, registryRef: null, envSnapshot: null,
  errorCode: 'build_failed', error: `step 3 failed: ${HOSTILE}`, logTail: null, createdAt: new Date(), startedAt: new Date(), finishedAt: new Date(), ...over,
});

describe('user text is escaped in every block and fallback deckhand renders', () => {
  it('esc follows Slack\'s rule (& first) and code() keeps a span closed', () => {
    expect(esc(HOSTILE)).toBe(ESCAPED);
    expect(esc('a &amp; b')).toBe('a &amp;amp; b');
    expect(code('x`<!here>`y')).toBe('`xˋ&lt;!here&gt;ˋy`');
  });

  it('the deploy list: commit subjects, CLI actor names and errors', () => {
    const message = renderDeployList('web', [deployment(), deployment({ id: 8, status: 'succeeded', commitSha: null, imageRef: HOSTILE, error: null })], null);
    expectInert(message);
    expect(JSON.stringify(message)).toContain(ESCAPED);
    expect(blockKitViolations(message)).toEqual([]);
  });

  it('the rollback confirmation and approvals', () => {
    const confirmation = renderRollbackConfirmation(
      {
        app: 'web',
        target: { id: 3, gitRef: 'main', commitSha: 'b'.repeat(40), commitSubject: HOSTILE, imageRef: null, imageId: 'sha256:2', registryRef: null, actor: HOSTILE, finishedAt: new Date() },
        current: null,
        artifact: { source: 'reuse_image', detail: HOSTILE, estimateMs: null },
        warnings: [HOSTILE],
        schema: { migrationFiles: [`m/${HOSTILE}.sql`], appliedMigrations: [HOSTILE], notes: [] },
        envChanges: null,
        commit: { present: true, reachable: true },
        notRestored: ['environment variables'],
      },
      'n',
    );
    expectInert(confirmation);
    expect(blockKitViolations(confirmation)).toEqual([]);
    const approval = { id: 1, app: 'web', kind: 'deploy' as const, deploymentId: 1, targetId: null, baselineId: null, requestedBy: HOSTILE, channel: 'C1', messageTs: null, status: 'denied' as const, decidedBy: HOSTILE, decidedAt: new Date(), expiresAt: new Date(), createdAt: new Date() };
    expectInert(renderApproval(approval, `deploy ${code(HOSTILE)}`));
  });

  it('a scheduled prune\'s failure message', () => {
    expect(renderPruneFailure('internal', HOSTILE).text).toBe(`:x: The scheduled prune failed: ${ESCAPED}. It runs again at its next scheduled time; \`/deckhand prune\` runs it now (\`internal\`).`);
  });

  it('the watchdog\'s recovery report (its notes quote error messages)', () => {
    expect(renderRecoveryReport([`web: could not reconcile: ${HOSTILE}`]).text).toContain(`• web: could not reconcile: ${ESCAPED}`);
    expectInert(renderRecoveryReport([HOSTILE]));
  });

  it('a log block can never be closed early, whatever the lines hold', () => {
    for (const lines of [['```', HOSTILE, '```<!channel>'], ['`'], ['ends with a backtick`'], ['``', '````'], [`\`\`\`${'x'.repeat(5000)}`]]) {
      const block = logTailBlock(lines);
      expectSealedFence(block);
      expectInert(block);
    }
    expect(fenced([fenceLine('```<!channel>```')])).toBe('```\u200B`\u200B`\u200B`&lt;!channel&gt;`\u200B`\u200B`\u200B```');
  });
});

describe('the progress thread escapes and redacts what the deploy reports', () => {
  const mocked = useMockedGateway();

  it('log lines, health details, phase and error messages: escaped in blocks and text, secrets starred, uploads redacted', async () => {
    const event = (e: Record<string, unknown>) => ({ deploymentId: 7, app: 'web', at: new Date(), ...e }) as DeployEvent;
    const redact = makeRedactor({ LONG: 'sk-live-77aa88bb99cc', SHORT: 'Qz' });
    const streamer = new ProgressStreamer(mocked.gateway, { channel: 'C1ESC', app: 'web', title: 'Deploying `x` to web', kind: 'deploy', intervalMs: 20, redact });
    await streamer.open();
    streamer.handle(event({ type: 'phase', phase: 'build', message: `Building ${HOSTILE} Qz` }));
    streamer.handle(event({ type: 'log', line: `\`\`\` ${HOSTILE} token=sk-live-77aa88bb99cc short=Qz` }));
    streamer.handle(event({ type: 'log', line: '```' }));
    streamer.handle(event({ type: 'health', attempt: 1, ok: false, detail: `HTTP 500 ${HOSTILE} Qz` }));
    await streamer.finish(deployment({ app: 'web', error: `died ${HOSTILE} Qz`, logTail: [`tail ${HOSTILE} Qz sk-live-77aa88bb99cc`, 'a', 'b', 'c'] }));
    const sent = mocked.slack.calls.filter((c) => c.method !== 'auth.test');
    // Uploads are files: shown as text by Slack, never parsed, so not escaped.
    expectInert(sent.filter((c) => c.method !== 'upload').map((c) => c.args));
    const json = JSON.stringify(sent.map((c) => c.args));
    expect(json).not.toContain('Qz');
    expect(json).not.toContain('sk-live-77aa88bb99cc');
    expect(json).toContain(ESCAPED);
    const logBlock = mocked.slack.calls.find((c) => c.args.text === 'Build log')!;
    expectSealedFence(String(logBlock.args.blocks[0].text.text).split('\n').slice(1).join('\n'));
    expect(mocked.slack.of('upload')[0]!.args.content).toContain(`tail ${HOSTILE} *** ***`);
    expect(mocked.slack.violations).toEqual([]);
  });
});
