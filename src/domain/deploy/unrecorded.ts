import type { AppSpec } from '../apps.js';
import type { Deployment } from '../deployment.js';
import { DeckhandError, asDeckhandError } from '../errors.js';
import type { AuditStore } from '../ports.js';
import type { AbortRegistry } from './abort.js';
import { type Artifact, type PipelineDeps, runPipeline } from './pipeline.js';

/**
 * The work is done but writing it down afterwards failed (the database went away, its disk is full): the person
 * hears what the deploy did first (what serves now), then what could not be written and why. The error keeps the
 * failure's code; `serving: true` keeps every surface from saying "nothing was changed".
 */
export function outcomeNotRecorded(final: Pick<Deployment, 'id' | 'app' | 'status' | 'error'>, what: string, error: unknown): DeckhandError {
  const e = asDeckhandError(error);
  const outcome = final.status === 'succeeded' ? `#${final.id} serves ${final.app}` : `#${final.id} ended ${final.status}${final.error ? ` (${final.error.split('\n')[0]})` : ''}`;
  return new DeckhandError(e.code, `${outcome}, but deckhand could not ${what}: ${e.message}`, { ...e.details, id: final.id, status: final.status, serving: true }, { cause: error });
}

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
