import type Docker from 'dockerode';
import type { RegistryClient } from '../../domain/ports.js';
import { DockerCalls } from '../docker/docker-calls.js';
import type { RegistryAuth } from './swarm-api.js';

const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode;
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The registry as the Swarm MANAGER's engine sees it. deckhand's own namespace may have no route to the registry
 * (or must not send it a packet): `has` asks the engine (`GET /distribution/{ref}/json` with X-Registry-Auth), which
 * asks the registry from its own network. `delete` (prune) stays with the HTTP client it is given.
 */
export class EngineRegistryClient implements RegistryClient {
  private readonly calls: DockerCalls;

  constructor(
    private readonly docker: Docker,
    private readonly auth: RegistryAuth | undefined,
    private readonly http: RegistryClient,
    timeoutMs = 15_000,
  ) {
    this.calls = new DockerCalls(docker, timeoutMs);
  }

  async has(ref: string): Promise<boolean> {
    const image = this.docker.getImage(ref);
    const authconfig = this.auth && ref.startsWith(`${this.auth.serveraddress}/`) ? this.auth : undefined;
    try {
      await this.calls.call(`ask the registry for ${ref} through the manager`, (abortSignal) =>
        (image.distribution as unknown as (o: object) => Promise<unknown>).call(image, { ...(authconfig ? { authconfig } : {}), abortSignal }));
      return true;
    } catch (error) {
      if (statusOf(error) === 404 || /manifest unknown|not found/i.test(messageOf(error))) return false;
      throw error;
    }
  }

  delete(ref: string): Promise<boolean> {
    return this.http.delete(ref);
  }
}
