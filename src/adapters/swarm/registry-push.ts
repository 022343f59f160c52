import type Docker from 'dockerode';
import { DeckhandError } from '../../domain/errors.js';
import type { DockerCalls } from '../docker/docker-calls.js';
import { splitLines } from '../docker/log-frames.js';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Tags the image as `ref` on the manager and pushes it with the registry credentials (every node later pulls it by
 * the digest this push records in the manager's RepoDigests). Progress lines go to `onLog`.
 */
export async function pushWithAuth(calls: DockerCalls, imageId: string, ref: string, auth: Docker.AuthConfig | undefined, onLog: (line: string) => void): Promise<void> {
  const colon = ref.lastIndexOf(':');
  const repo = ref.slice(0, colon);
  const tag = ref.slice(colon + 1);
  let failure: string | undefined;
  try {
    await calls.call(`tag ${ref}`, (abortSignal) => calls.docker.getImage(imageId).tag({ repo, tag, abortSignal }));
    failure = await calls.stream(
      `push ${ref}`,
      (abortSignal) => calls.docker.getImage(ref).push({ tag, authconfig: auth ?? {}, abortSignal } as Docker.ImagePushOptions),
      (message) => {
        if (message.error || message.errorDetail) onLog(`ERROR: ${message.errorDetail?.message ?? message.error}`);
        else if (message.status && !message.progress) for (const line of splitLines(`${message.id ? `${message.id}: ` : ''}${message.status}`)) onLog(line);
      },
    );
  } catch (error) {
    if (error instanceof DeckhandError) throw error;
    throw new DeckhandError('image_unavailable', `Could not push ${ref}: ${messageOf(error)}`, { image: ref }, { cause: error });
  }
  if (failure !== undefined) throw new DeckhandError('image_unavailable', `Could not push ${ref}: ${failure}`, { image: ref });
}
