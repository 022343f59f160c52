import type Docker from 'dockerode';
import { DeckhandError } from '../../domain/errors.js';
import type { BuildRequest, ImageInfo } from '../../domain/ports.js';
import { type CredentialsFor, authConfigOf, credentialsForRef, pushPullFailure } from '../registry/docker-auth.js';
import { BuildSteps, stepImageRemoved } from './build-steps.js';
import { LABEL_APP, LABEL_REVISION } from './container-state.js';
import type { DockerCalls } from './docker-calls.js';
import { type ProgressMessage, splitLines } from './log-frames.js';
import { destroy } from './progress-stream.js';
import { dockerDiskFull } from './docker-disk.js';

/** Images moving in and out of the engine (build, push, pull), their progress passed on line by line. */

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
type Inspect = (idOrRef: string) => Promise<ImageInfo | undefined>;

/** Builds the request's context; a failed build's step images are removed. Returns the built image's id. */
export async function buildImage(calls: DockerCalls, request: BuildRequest, inspectImage: Inspect): Promise<{ imageId: string }> {
  // Labels that depend on the commit only: the classic builder adds each as a step of its own, and a label that
  // changed with every deploy (the deployment id) turned a rebuild of the same commit into a build with fresh steps.
  // A rebuild now hits Docker's cache exactly as `docker build` of the same tree does. Containers carry the id.
  const labels = { [LABEL_APP]: request.app, [LABEL_REVISION]: request.commit };
  const steps = new BuildSteps();
  let builtId: string | undefined;
  let failure: string | undefined;
  try {
    failure = await calls.stream('build the image', (abortSignal) =>
      calls.docker.buildImage(request.context, { t: request.imageRef, dockerfile: request.dockerfile, labels, rm: true, forcerm: true, abortSignal } as Docker.ImageBuildOptions),
    (message) => {
      if (message.aux?.ID) builtId = message.aux.ID;
      for (const line of progressLines(message, request.onLog)) steps.line(line);
    }, request.signal);
  } catch (error) {
    if (request.signal?.aborted) throw new DeckhandError('cancelled', 'The build was cancelled.', {}, { cause: error });
    if (error instanceof DeckhandError) throw error; // docker_unavailable, or the source failing (git archive)
    throw new DeckhandError('build_failed', `The Docker build could not start: ${messageOf(error)}`, {}, { cause: error });
  } finally {
    destroy(request.context); // a build that stopped early must not leave `git archive` blocked on a full pipe
  }
  if (failure !== undefined) {
    await removeStepImages(calls, steps, request.onLog, inspectImage);
    // `transient`: the same build may succeed when run again (the pipeline runs it once more).
    throw dockerDiskFull(failure) ?? new DeckhandError('build_failed', `The Docker build failed: ${failure}`, stepImageRemoved(failure) ? { transient: true } : {});
  }
  const image = await inspectImage(builtId ?? request.imageRef);
  if (!image) throw new DeckhandError('build_failed', `The build finished but image ${request.imageRef} is not on the host.`);
  return { imageId: image.id };
}

/** Tags the image as `ref` and pushes it, with the registry's credentials when deckhand has them. */
export async function pushImage(calls: DockerCalls, registryAuth: CredentialsFor | undefined, imageId: string, ref: string, onLog: (line: string) => void): Promise<void> {
  const colon = ref.lastIndexOf(':');
  const repo = ref.slice(0, colon);
  const tag = ref.slice(colon + 1);
  const credentials = await credentialsForRef(registryAuth, ref);
  const authconfig = authConfigOf(credentials) ?? {};
  let failure: string | undefined;
  try {
    await calls.call(`tag ${ref}`, (abortSignal) => calls.docker.getImage(imageId).tag({ repo, tag, abortSignal }));
    failure = await calls.stream(`push ${ref}`, (abortSignal) => calls.docker.getImage(ref).push({ tag, authconfig, abortSignal } as Docker.ImagePushOptions), (message) => progressLines(message, onLog));
  } catch (error) {
    if (error instanceof DeckhandError) throw error;
    throw pushPullFailure('push', ref, messageOf(error), credentials, error);
  }
  if (failure !== undefined) throw dockerDiskFull(failure) ?? pushPullFailure('push', ref, failure, credentials);
}

/** Pulls `ref`, with the registry's credentials when deckhand has them; the caller inspects what arrived. */
export async function pullImage(calls: DockerCalls, registryAuth: CredentialsFor | undefined, ref: string, onLog: (line: string) => void): Promise<void> {
  onLog(`Pulling ${ref}`);
  const credentials = await credentialsForRef(registryAuth, ref);
  const authconfig = authConfigOf(credentials);
  let failure: string | undefined;
  try {
    failure = await calls.stream(`pull ${ref}`, (abortSignal) => calls.docker.pull(ref, { abortSignal, ...(authconfig ? { authconfig } : {}) }), (message) => progressLines(message, onLog));
  } catch (error) {
    if (error instanceof DeckhandError) throw error;
    throw pushPullFailure('pull', ref, messageOf(error), credentials, error);
  }
  if (failure !== undefined) throw dockerDiskFull(failure) ?? pushPullFailure('pull', ref, failure, credentials);
}

/** Passes a progress message's text to `onLog` line by line; returns the lines. */
function progressLines(message: ProgressMessage, onLog: (line: string) => void): string[] {
  if (message.error || message.errorDetail) {
    const line = `ERROR: ${message.errorDetail?.message ?? message.error}`;
    onLog(line);
    return [line];
  }
  const text = message.stream ?? (message.status ? `${message.id ? `${message.id}: ` : ''}${message.status}` : undefined);
  if (!text || message.progress) return [];
  const lines = splitLines(text);
  for (const line of lines) onLog(line);
  return lines;
}

/** After a failed build: removes the step images it made (never a tagged one, never one another image uses). */
async function removeStepImages(calls: DockerCalls, steps: BuildSteps, onLog: (line: string) => void, inspectImage: Inspect): Promise<void> {
  let removed = 0;
  for (const id of steps.newestFirst()) {
    try {
      const image = await inspectImage(id);
      if (!image || image.refs.length > 0) continue;
      await calls.call(`remove image ${id}`, (abortSignal) => calls.docker.getImage(id).remove({ force: false, noprune: false, abortSignal }));
      removed += 1;
    } catch {
      // in use by another image or container: not ours to remove
    }
  }
  if (removed > 0) onLog(`Removed ${removed} intermediate image(s) left by the failed build.`);
}
