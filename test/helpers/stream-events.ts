import type { DeployEvent } from '../../src/domain/deploy/events.js';
import type { Deployment } from '../../src/domain/deployment.js';

/** Events and results of one deployment (#7 of c-stream) for the progress-streamer suites. */
export const APP = 'c-stream';
export const deployTitle = 'Deploying `main` to c-stream';

export function deployment(status: Deployment['status'], extra: Partial<Deployment> = {}): Deployment {
  const finishedAt = new Date('2026-12-01T10:00:04Z');
  return {
    id: 7, app: APP, status, source: 'git', gitRef: 'main', commitSha: 'c'.repeat(40), commitSubject: 'x', imageRef: `deckhand/${APP}:7`, imageId: 'sha256:x',
    containerId: null, upstreamPort: null, trigger: 'slack', actor: 'U1', rollbackOf: null, rollbackSource: null, registryRef: null, envSnapshot: null,
    errorCode: status === 'failed' ? 'build_failed' : null, error: status === 'failed' ? 'The Docker build failed: step 3' : null, logTail: [],
    createdAt: finishedAt, startedAt: new Date(finishedAt.getTime() - 4000), finishedAt, ...extra,
  };
}

const at = new Date('2026-12-01T10:00:00Z');
export const ev = (e: Record<string, unknown>, deploymentId = 7, app = APP) => ({ deploymentId, app, at, ...e }) as DeployEvent;
export const log = (line: string, id?: number) => ev({ type: 'log', line }, id);
export const phase = (p: string, message: string) => ev({ type: 'phase', phase: p, message });
export const health = (attempt: number, ok: boolean, detail: string) => ev({ type: 'health', attempt, ok, detail });
