import type Docker from 'dockerode';
import { DeckhandError } from '../../domain/errors.js';
import type { RunOnceRequest } from '../../domain/ports.js';
import { ensureVolumes, settingsOptions } from './container-create.js';
import { LABEL_APP, LABEL_DEPLOYMENT } from './container-state.js';
import type { DockerCalls } from './docker-calls.js';
import { destroy } from './progress-stream.js';

/** Marks a release container; its `deckhand.app` label is blank, so it is never taken for one that serves. */
export const LABEL_RELEASE = 'deckhand.release';
/** A release (a migration) may take a while, but not for ever. */
const RELEASE_LIMIT_MS = 30 * 60_000;

export const releaseContainerName = (app: string, deploymentId: number) => `deckhand-release-${app}-${deploymentId}`;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Runs `argv` once in a new container of the image (host networking, the app's env, volumes, user and limits),
 * streams its output line by line, and removes the container on every exit path. Aborting the signal kills it.
 * Resolves the exit code.
 */
export async function runOnce(calls: DockerCalls, request: RunOnceRequest): Promise<{ exitCode: number }> {
  const { docker } = calls;
  const name = releaseContainerName(request.app, request.deploymentId);
  await calls.call(`remove container ${name}`, (abortSignal) => docker.getContainer(name).remove({ force: true, abortSignal })).catch(() => undefined);
  let container: Docker.Container | undefined;
  let output: NodeJS.ReadableStream | undefined;
  // Killed only: removal is left to the one place below, so it is finished when this function returns.
  const kill = () => {
    if (container) void calls.call(`kill container ${name}`, (abortSignal) => container!.kill({ abortSignal })).catch(() => undefined);
  };
  request.signal?.addEventListener('abort', kill, { once: true });
  // The app's volumes, user and limits apply to the one-off too; its command is `argv`, not the app's.
  const { User, HostConfig } = settingsOptions(request.settings);
  try {
    await ensureVolumes(calls, request.app, request.settings?.volumes);
    container = await calls.call(`create container ${name}`, (abortSignal) =>
      docker.createContainer({
        name,
        Image: request.image,
        Cmd: request.argv,
        Env: Object.entries(request.env).map(([key, value]) => `${key}=${value}`),
        ...(User !== undefined ? { User } : {}),
        Tty: true,
        // The image's own labels name the app: blanked here, so the one-off never counts as one of its containers.
        Labels: { [LABEL_APP]: '', [LABEL_RELEASE]: request.app, [LABEL_DEPLOYMENT]: String(request.deploymentId) },
        HostConfig: { NetworkMode: 'host', Init: true, ...HostConfig },
        abortSignal,
      } as Docker.ContainerCreateOptions),
    );
    const created = container;
    if (request.signal?.aborted) throw new DeckhandError('cancelled', 'The release phase was cancelled.');
    output = (await calls.call(`attach to ${name}`, () => created.attach({ stream: true, stdout: true, stderr: true }))) as NodeJS.ReadableStream;
    const ended = streamLines(output, request.onLog);
    await calls.call(`start container ${name}`, (abortSignal) => created.start({ abortSignal }));
    if (request.signal?.aborted) kill();
    const waited = (await calls.call(`run the release in ${name}`, (abortSignal) => created.wait({ abortSignal }), RELEASE_LIMIT_MS)) as { StatusCode: number };
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    return { exitCode: waited.StatusCode };
  } catch (error) {
    if (request.signal?.aborted) throw new DeckhandError('cancelled', 'The release phase was cancelled.', {}, { cause: error });
    if (error instanceof DeckhandError) throw error;
    throw new DeckhandError('release_failed', `The release command could not run: ${messageOf(error)}`, {}, { cause: error });
  } finally {
    request.signal?.removeEventListener('abort', kill);
    if (output) destroy(output);
    if (container) {
      const made = container;
      await calls.call(`remove container ${name}`, (abortSignal) => made.remove({ force: true, abortSignal })).catch(() => undefined);
    }
  }
}

/** Calls `onLine` for each complete line of a raw (TTY) stream; resolves when the stream ends. */
function streamLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<void> {
  let rest = '';
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer | string) => {
      const lines = (rest + chunk.toString()).split(/\r?\n|\r/);
      rest = lines.pop() ?? '';
      for (const line of lines) if (line.length > 0) onLine(line);
    });
    const done = () => {
      if (rest.length > 0) onLine(rest);
      rest = '';
      resolve();
    };
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}
