import { describe, expect, it } from 'vitest';
import { ProgressStreamer } from '../../src/adapters/slack/progress-streamer.js';
import type { DeployEvent } from '../../src/domain/deploy/events.js';
import type { Deployment } from '../../src/domain/deployment.js';
import { useMockedGateway } from '../helpers/mock-gateway.js';

function row(patch: Partial<Deployment>): Deployment {
  const now = new Date();
  return {
    id: 12, app: 'web', status: 'succeeded', source: 'git', gitRef: 'main', commitSha: 'a'.repeat(40), commitSubject: 's', imageRef: 'deckhand/web:12', imageId: 'sha256:1',
    containerId: 'svc', upstreamPort: 20001, trigger: 'slack', actor: 'U1', rollbackOf: null, rollbackSource: null, registryRef: null, envSnapshot: null,
    errorCode: null, error: null, logTail: [], createdAt: now, startedAt: new Date(now.getTime() - 2000), finishedAt: now, ...patch,
  };
}

/**
 * A cluster deploy's thread, fed the events the pipeline emits on Swarm (test/faults/swarm-ops.test.ts proves the
 * pipeline emits them from a real node loss): each `nodes` notice is its own reply, and the success summary says the
 * deploy completed on fewer nodes, escaped (node names come from the cluster).
 */
describe('node notices in a deploy thread (streamer against the mocked Web API)', () => {
  const mocked = useMockedGateway();
  const event = (e: Record<string, unknown>) => ({ deploymentId: 12, app: 'web', at: new Date(), ...e }) as DeployEvent;

  it('a node lost during the health wait: a thread reply as it happens, and the final summary says where it completed', async () => {
    mocked.slack.reset();
    const streamer = new ProgressStreamer(mocked.gateway, { channel: 'C1NODES', app: 'web', title: 'Deploying `main` to web', kind: 'deploy', intervalMs: 20 });
    await streamer.open();
    streamer.track(12);
    streamer.handle(event({ type: 'phase', phase: 'start', message: 'Starting container on port 20001' }));
    streamer.handle(event({ type: 'phase', phase: 'nodes', message: 'Node n3 went away (down): its task no longer serves; Swarm places it again when a node is free' }));
    const note = 'Node n3 went away during the deploy: completed on n1, <n2>; 1 task(s) wait for a node';
    streamer.handle(event({ type: 'phase', phase: 'nodes', message: note }));
    streamer.handle(event({ type: 'result', status: 'succeeded', error: null, durationMs: 2000, logTail: [], note }));
    await streamer.finish(row({}));
    const parent = mocked.slack.of('chat.postMessage')[0]!;
    const replies = mocked.slack.thread(parent).map((c) => String(c.args.text));
    expect(replies).toContain(':satellite_antenna: Node n3 went away (down): its task no longer serves; Swarm places it again when a node is free');
    const final = mocked.slack.finalText(parent);
    expect(final).toContain('Node n3 went away during the deploy: completed on n1, &lt;n2&gt;; 1 task(s) wait for a node');
    expect(final).toMatch(/^Deploying `main` to web: Deployed web #12/);
    expect(mocked.slack.violations).toEqual([]);
  });
});
