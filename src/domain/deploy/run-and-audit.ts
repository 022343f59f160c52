import type { AppSpec } from '../apps.js';
import type { Deployment } from '../deployment.js';
import type { AuditStore } from '../ports.js';
import type { AbortRegistry } from './abort.js';
import { type Artifact, type PipelineDeps, runPipeline } from './pipeline.js';
import { outcomeNotRecorded } from './unrecorded.js';

/** A deploy's pipeline between its `<action>.start` and `<action>.finish` audit rows, abortable by id. */
export async function runAndAudit(deps: PipelineDeps & { audit: AuditStore }, aborts: AbortRegistry, app: AppSpec, deployment: Deployment, artifact: Artifact, action: string): Promise<Deployment> {
  const { audit } = deps;
  await audit.record({ actor: deployment.actor, action: `${action}.start`, app: app.name, deploymentId: deployment.id, result: 'ok', details: { ref: deployment.gitRef, commit: deployment.commitSha, image: deployment.imageRef } });
  const run = aborts.watch(app.name, deployment.id);
  let final: Deployment;
  try {
    final = await runPipeline(deps, app, deployment, artifact, { signal: run.signal });
  } finally {
    run.stop();
  }
  await audit
    .record({
      actor: deployment.actor,
      action: `${action}.finish`,
      app: app.name,
      deploymentId: final.id,
      result: final.status === 'succeeded' ? 'ok' : 'failed',
      details: { status: final.status, image: final.imageRef, imageId: final.imageId, error: final.error, errorCode: final.errorCode },
    })
    .catch((error: unknown) => {
      throw outcomeNotRecorded(final, 'write it in the audit log', error);
    });
  return final;
}
