import { describe, expect, it } from 'vitest';
import { ProgressStreamer, type StreamOptions } from '../../src/adapters/slack/progress-streamer.js';
import type { DeployEvent } from '../../src/domain/deploy/events.js';
import type { Deployment } from '../../src/domain/deployment.js';
import { useMockedGateway } from '../helpers/mock-gateway.js';
import { buttonsOf } from '../helpers/slack-requests.js';

function row(patch: Partial<Deployment>): Deployment {
  const now = new Date();
  return {
    id: 9, app: 'shop', status: 'failed', source: 'git', gitRef: 'main', commitSha: 'e'.repeat(40), commitSubject: 's', imageRef: 'deckhand/shop:9', imageId: null,
    containerId: null, upstreamPort: null, trigger: 'slack', actor: 'U1', rollbackOf: null, rollbackSource: null, registryRef: null, envSnapshot: null,
    errorCode: 'build_failed', error: 'The Docker build failed: step 2', logTail: ['step 2: make', 'error: no rule'], createdAt: now, startedAt: new Date(now.getTime() - 2000), finishedAt: now, ...patch,
  };
}

describe('the failure story for each kind of failure (streamer against the mocked Web API)', () => {
  const mocked = useMockedGateway();
  const event = (e: Record<string, unknown>) => ({ deploymentId: 9, app: 'shop', at: new Date(), ...e }) as DeployEvent;
  const stream = (options: Partial<StreamOptions>) =>
    new ProgressStreamer(mocked.gateway, { channel: 'C1KINDS', app: 'shop', title: 'Deploying `main` to shop', kind: 'deploy', intervalMs: 20, ...options });

  it('a build failure: no container-log reply (the build log is the story), the upload holds the build log; with nothing served before, it says so', async () => {
    mocked.slack.reset();
    const streamer = stream({ lookups: { serving: async () => undefined, previousTarget: async () => undefined }, ref: 'main' });
    streamer.track(9);
    streamer.handle(event({ type: 'phase', phase: 'build', message: 'Building shop' }));
    for (const line of ['step 1: fetch', 'step 2: make', 'error: no rule']) streamer.handle(event({ type: 'log', line }));
    // Another deployment's lines never reach this thread.
    streamer.handle(event({ deploymentId: 8, type: 'log', line: 'step 1 of someone else' }));
    await streamer.finish(row({}));
    const parent = mocked.slack.of('chat.postMessage')[0]!;
    expect(mocked.slack.finalText(parent)).toBe('Deploying `main` to shop: Deploy #9 of shop failed: the build failed (The Docker build failed: step 2); no earlier deploy of shop serves, so nothing changed for users. `build_failed`');
    expect(mocked.slack.thread(parent).some((c) => /container's log/.test(c.args.text))).toBe(false);
    expect(JSON.stringify(mocked.slack.calls.map((c) => c.args))).not.toContain('someone else');
    const upload = mocked.slack.of('upload')[0]!.args.content as string;
    expect(upload).toContain('=== build log (3 lines) ===\nstep 1: fetch\nstep 2: make\nerror: no rule');
    expect(upload).not.toContain("container's log");
    const buttons = buttonsOf(mocked.slack.of('chat.update').at(-1)!.args as never);
    expect(buttons.map((b) => b.text)).toEqual(['Show full log', 'Retry']);
    expect(JSON.parse(buttons[1]!.value)).toEqual({ app: 'shop', ref: 'main' });
    expect(mocked.slack.violations).toEqual([]);
  });

  it('a failed rollback: the sentence names the target and what still serves; "Retry rollback" reopens the confirmation', async () => {
    mocked.slack.reset();
    const serving = row({ id: 8, status: 'succeeded', commitSha: 'f'.repeat(40), errorCode: null, error: null });
    const streamer = stream({ kind: 'rollback', rollbackTarget: 5, title: 'Rolling shop back to #5', lookups: { serving: async () => serving, previousTarget: async () => 5 } });
    streamer.track(9);
    streamer.handle(event({ type: 'phase', phase: 'start', message: 'Starting container on port 1' }));
    await streamer.finish(row({ errorCode: 'start_failed', error: 'The container exited with code 1', rollbackOf: 5, logTail: ['panic: config missing'] }));
    const final = mocked.slack.of('chat.update').at(-1)!;
    expect(final.args.text).toContain('Rollback #9 of shop to #5 failed: the new container did not start (The container exited with code 1); the previous deploy #8 (`fffffff`) is still serving. `start_failed`');
    expect(buttonsOf(final.args as never).map((b) => [b.text, b.action_id, b.value])).toEqual([
      ['Retry rollback to #5', 'rollback_open', JSON.stringify({ app: 'shop', id: 5 })],
      ['Show full log', 'deploy_show_log', JSON.stringify({ app: 'shop', id: 9 })],
    ]);
    const reply = mocked.slack.thread(mocked.slack.of('chat.postMessage')[0]!).find((c) => /container's log/.test(c.args.text))!;
    expect(JSON.stringify(reply.args.blocks)).toContain('panic: config missing');
    expect(mocked.slack.violations).toEqual([]);
  });
});
