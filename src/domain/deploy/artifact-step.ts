import type { AppSpec } from '../apps.js';
import type { DeploymentPatch } from '../deployment.js';
import { DeckhandError, asDeckhandError } from '../errors.js';
import type { Phase } from './events.js';
import type { PipelineDeps } from './pipeline.js';

/** What a deploy runs: a build from git, an image reference, or an image already on the host (rollback). */
export type Artifact =
  | { kind: 'build'; commit: string }
  | { kind: 'image'; ref: string; pull: 'missing' | 'always' }
  /** `checked`: the image was found on the host under this deploy's lease a moment ago (a rollback's re-check). */
  | { kind: 'local-image'; imageId: string; imageRef: string | null; checked?: boolean };

export const imageRefFor = (app: string, deploymentId: number) => `deckhand/${app}:${deploymentId}`;

/** What a pipeline step may do: record on the deployment, report a phase, stream log lines. */
export interface StepContext {
  deps: PipelineDeps;
  app: AppSpec;
  deploymentId: number;
  update(patch: DeploymentPatch): Promise<void>;
  phase(phase: Phase, message: string): void;
  log(line: string): void;
  /** Aborted when the deploy is cancelled: a running build is killed. */
  signal?: AbortSignal;
}

/**
 * Makes the image a deploy runs available on the host: builds it from git, pulls or finds it. Returns its id. An
 * image already on the host is not recorded here: the pipeline records it with the start (one write, see start()).
 */
export async function prepareArtifact(ctx: StepContext, artifact: Artifact): Promise<string> {
  const { runtime, source } = ctx.deps;
  const { app } = ctx;
  if (artifact.kind === 'build') {
    await ctx.update({ status: 'building' });
    ctx.phase('build', `Building ${app.name} at ${artifact.commit.slice(0, 7)}`);
    if (app.source.kind !== 'git') throw new DeckhandError('internal', 'a build needs a git source');
    const imageRef = imageRefFor(app.name, ctx.deploymentId);
    const { dockerfile } = app.source;
    const build = async () => {
      const context = await source.archive(app, artifact.commit);
      return runtime.build({ app: app.name, deploymentId: ctx.deploymentId, commit: artifact.commit, imageRef, dockerfile, context, onLog: ctx.log, signal: ctx.signal });
    };
    let built: { imageId: string };
    try {
      built = await build();
    } catch (error) {
      // A failure the runtime calls transient (an image removal beside the build took a step image it was using) is
      // not the commit's fault: the same build runs once more, from a fresh archive. Any other failure stands.
      if (!isTransient(error) || ctx.signal?.aborted) throw error;
      ctx.phase('build', `The build failed for a reason outside the commit (${asDeckhandError(error).message}); building ${app.name} once more`);
      built = await build();
    }
    await ctx.update({ imageRef, imageId: built.imageId });
    return built.imageId;
  }
  if (artifact.kind === 'image') {
    await ctx.update({ status: 'building' });
    ctx.phase('artifact', `Using image ${artifact.ref}`);
    const { imageId } = await runtime.ensureImage(artifact.ref, artifact.pull, ctx.log);
    await ctx.update({ imageRef: artifact.ref, imageId });
    return imageId;
  }
  ctx.phase('artifact', `Reusing image ${artifact.imageRef ?? artifact.imageId} (${artifact.imageId.slice(7, 19)})`);
  // A rollback's re-check asked the host for this image under the same lease a moment ago: not asked twice.
  if (!artifact.checked && !(await runtime.inspectImage(artifact.imageId))) throw new DeckhandError('image_unavailable', `Image ${artifact.imageId} is no longer on this host.`);
  return artifact.imageId;
}

const isTransient = (error: unknown) => error instanceof DeckhandError && error.details.transient === true;

/** With a registry configured, every new image is pushed so a later rollback can pull it. A failed push warns. */
export async function pushToRegistry(ctx: StepContext, imageId: string): Promise<void> {
  if (!ctx.app.registry) return;
  const ref = `${ctx.app.registry}:deploy-${ctx.deploymentId}`;
  ctx.phase('artifact', `Pushing ${ref}`);
  try {
    await ctx.deps.runtime.push(imageId, ref, ctx.log);
    await ctx.update({ registryRef: ref });
  } catch (error) {
    ctx.phase('artifact', `Warning: could not push ${ref}; a rollback to this deploy will need the local image or a rebuild: ${asDeckhandError(error).message}`);
  }
}
