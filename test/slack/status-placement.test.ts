import { describe, expect, it } from 'vitest';
import { renderAppStatus } from '../../src/adapters/slack/blocks/status.js';
import { formatAppStatus, statusJson } from '../../src/cli/commands/status.js';
import type { Deployment } from '../../src/domain/deployment.js';
import type { AppStatus } from '../../src/domain/status/status-service.js';

const at = new Date(Date.UTC(2026, 11, 4, 14, 0, 0));
const serving: Deployment = {
  id: 42, app: 'web', status: 'succeeded', source: 'git', gitRef: 'main', commitSha: 'c'.repeat(40), commitSubject: 's', imageRef: null, imageId: 'sha256:1',
  containerId: 'svc', upstreamPort: 20001, trigger: 'slack', actor: 'U1ANA', rollbackOf: null, rollbackSource: null, registryRef: null, envSnapshot: null,
  errorCode: null, error: null, logTail: null, createdAt: at, startedAt: at, finishedAt: at,
};
const status = (placement: AppStatus['placement']): AppStatus => ({
  app: 'web', checkedAt: at, mode: 'proxy', serving,
  health: { state: 'healthy', probes: [{ where: 'public', url: 'http://127.0.0.1:8080/healthz', ok: true, detail: 'HTTP 200' }], container: { name: 'deckhand-web-42', running: true, status: 'running', restartCount: 0, exitCode: null } },
  ...(placement !== undefined ? { placement } : {}),
  processes: [], lock: null, inProgress: [], pendingApprovals: [], lastFailure: null, window: [],
});
const swarm: AppStatus['placement'] = {
  wanted: 3,
  serving: 2,
  downNodes: ['n3'],
  tasks: [
    { node: 'n1', addr: '10.0.0.1', nodeState: 'ready', state: 'running', desired: 'running', serving: true, restarts: 0, message: 'started' },
    { node: 'n2', addr: '10.0.0.2', nodeState: 'ready', state: 'running', desired: 'running', serving: true, restarts: 2, message: 'started' },
    { node: 'n3', addr: '10.0.0.3', nodeState: 'down', state: 'running', desired: 'running', serving: false, restarts: 0, message: '<!channel> started' },
  ],
};

describe('status of a cluster app: its tasks per node, in Slack and the CLI', () => {
  it('Slack: the summary and one escaped line per node', () => {
    const text = JSON.stringify(renderAppStatus(status(swarm)).blocks);
    expect(text).toContain('*Tasks:* :large_orange_circle: 2 of 3 task(s) serving; node n3 is down; 1 task(s) missing');
    expect(text).toContain('• n2 10.0.0.2: running, healthy, 2 failed before');
    expect(text).toContain('• n3 10.0.0.3: running (node down): &lt;!channel&gt; started');
    expect(text).not.toContain('<!channel>');
  });

  it('CLI: text lines and the JSON key; one Docker host (no placement) shows neither', () => {
    expect(formatAppStatus(status(swarm))).toContain('  tasks:       2 of 3 task(s) serving; node n3 is down; 1 task(s) missing\n    n1 10.0.0.1: running, healthy\n');
    expect(statusJson(status(swarm)).placement).toEqual(swarm);
    expect(formatAppStatus(status(undefined))).not.toContain('tasks:');
    expect(statusJson(status(undefined))).not.toHaveProperty('placement');
    expect(JSON.stringify(renderAppStatus(status(undefined)).blocks)).not.toContain('Tasks:');
  });
});
