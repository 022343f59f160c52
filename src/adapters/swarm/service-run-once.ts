import { DeckhandError } from '../../domain/errors.js';
import { cleanLogLines } from '../../domain/log-text.js';
import type { RunOnceRequest } from '../../domain/ports.js';
import { LABEL_APP, LABEL_DEPLOYMENT } from '../docker/container-state.js';
import type { DockerCalls } from '../docker/docker-calls.js';
import { demuxDockerLogs } from '../docker/log-frames.js';
import { LABEL_RELEASE, envList, mountsOf, serviceName } from './service-spec.js';
import { type RegistryAuth, createService, listTasks } from './swarm-api.js';

/** A release (a migration) may take a while, but not for ever. */
const RELEASE_LIMIT_MS = 30 * 60_000;
const ENDED = new Set(['complete', 'failed', 'rejected', 'shutdown', 'orphaned']);

const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode;
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export interface RunOnceContext {
  calls: DockerCalls;
  auth: RegistryAuth | undefined;
  hostNetworkId: string;
  /** repo@sha256:… */
  image: string;
  constraints: string[];
  pollMs: number;
  sleep(ms: number): Promise<void>;
}

/** `deckhand-release-<app>-<id>` (`_release` suffix style when too long, as service names are). */
export const releaseServiceName = (app: string, deploymentId: number) => serviceName(`release-${app}`, deploymentId);

async function removeService(calls: DockerCalls, id: string): Promise<void> {
  try {
    await calls.call(`remove service ${id}`, (abortSignal) => calls.docker.getService(id).remove({ abortSignal }));
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
}

/**
 * The release phase on Swarm: a one-off service (1 replica, restart policy `none`) placed like the app's own tasks,
 * so it runs where the app runs (same constraints, same networks reachable, the image pulled by digest with the
 * registry auth). Waits for its task to end; its exit code is the task's. Its output is read from the service's
 * logs once it ended (Swarm does not attach), then the service is removed on every exit path.
 */
export async function runOnceService(ctx: RunOnceContext, request: RunOnceRequest): Promise<{ exitCode: number }> {
  const { calls } = ctx;
  const name = releaseServiceName(request.app, request.deploymentId);
  await removeService(calls, name);
  const settings = request.settings;
  const spec = {
    Name: name,
    Labels: { [LABEL_APP]: '', [LABEL_RELEASE]: request.app, [LABEL_DEPLOYMENT]: String(request.deploymentId) },
    TaskTemplate: {
      ContainerSpec: {
        Image: ctx.image,
        Args: request.argv,
        Env: envList(request.env),
        ...(settings?.user !== undefined ? { User: settings.user } : {}),
        ...(settings?.volumes?.length ? { Mounts: mountsOf(settings.volumes) } : {}),
        Init: true,
      },
      Networks: [{ Target: ctx.hostNetworkId }],
      Placement: { Constraints: ctx.constraints },
      RestartPolicy: { Condition: 'none' },
    },
    Mode: { Replicated: { Replicas: 1 } },
  };
  let id: string | undefined;
  try {
    id = await calls.call(`create service ${name}`, (abortSignal) => createService(calls.docker, spec, ctx.auth, abortSignal));
    const deadline = Date.now() + RELEASE_LIMIT_MS;
    for (;;) {
      if (request.signal?.aborted) throw new DeckhandError('cancelled', 'The release phase was cancelled.');
      const tasks = await calls.call(`list tasks of ${name}`, (abortSignal) => listTasks(calls.docker, { service: [id!] }, abortSignal));
      const ended = tasks.find((t) => ENDED.has(t.Status?.State ?? ''));
      if (ended) {
        const status = ended.Status ?? {};
        const exitCode = status.ContainerStatus?.ExitCode;
        await forwardLogs(calls, id, request.onLog);
        if (typeof exitCode !== 'number' || (status.State !== 'complete' && status.State !== 'failed')) {
          throw new DeckhandError('release_failed', `The release task did not run: ${status.State}${status.Err ? ` (${status.Err})` : ''}`);
        }
        return { exitCode };
      }
      if (Date.now() > deadline) throw new DeckhandError('release_failed', `The release did not end within ${RELEASE_LIMIT_MS / 60_000} minutes.`);
      await ctx.sleep(ctx.pollMs);
    }
  } catch (error) {
    if (request.signal?.aborted) throw new DeckhandError('cancelled', 'The release phase was cancelled.', {}, { cause: error });
    if (error instanceof DeckhandError) throw error;
    throw new DeckhandError('release_failed', `The release command could not run: ${messageOf(error)}`, {}, { cause: error });
  } finally {
    if (id) await removeService(calls, id).catch(() => undefined);
  }
}

/** The service's output, cleaned, line by line; a node that cannot be asked just leaves it out. */
async function forwardLogs(calls: DockerCalls, id: string, onLog: (line: string) => void): Promise<void> {
  const lines = await serviceLogs(calls, id, 1000).catch(() => [] as string[]);
  for (const line of lines) onLog(line);
}

export async function serviceLogs(calls: DockerCalls, id: string, tail: number): Promise<string[]> {
  const service = calls.docker.getService(id);
  const logs = service.logs as unknown as (o: object) => Promise<unknown>;
  const output = await calls.call(`read the logs of service ${id.slice(0, 12)}`, (abortSignal) => logs.call(service, { stdout: true, stderr: true, tail, follow: false, abortSignal }));
  const buffer = output as unknown as Buffer;
  return cleanLogLines(demuxDockerLogs(Buffer.isBuffer(buffer) ? buffer : Buffer.from(String(buffer))));
}
