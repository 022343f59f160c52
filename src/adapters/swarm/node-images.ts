import type Docker from 'dockerode';
import type { NodeEngineEndpoint } from '../../config/node-engines.js';
import type { NodeImageRemoval } from '../../domain/placement/placement.js';
import { DockerCalls } from '../docker/docker-calls.js';
import { Dockerode } from '../docker/dockerode.js';
import { listNodes } from './swarm-api.js';
import { nodesById } from './service-state.js';

const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode;
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Pruned images on the Swarm's other nodes. deckhand drives the cluster through the manager, and Swarm has no API to
 * remove an image from a node, so the operator may give deckhand the other nodes' own engines
 * (DECKHAND_SWARM_NODE_ENGINES, by hostname, address or node id). A node without one is reported as "images left on".
 */
export class NodeImages {
  private readonly clients = new Map<string, Docker>();

  constructor(
    private readonly manager: Docker,
    private readonly engines: Map<string, NodeEngineEndpoint>,
    private readonly timeoutMs: number,
  ) {}

  private client(endpoint: NodeEngineEndpoint, key: string): Docker {
    let client = this.clients.get(key);
    if (!client) {
      client = new Dockerode('socketPath' in endpoint ? { socketPath: endpoint.socketPath } : { host: endpoint.host, port: endpoint.port, protocol: 'http' });
      this.clients.set(key, client);
    }
    return client;
  }

  /** Removes the image from every node but the manager (whose engine deckhand's runtime already cleaned). */
  async remove(imageId: string): Promise<NodeImageRemoval> {
    const calls = new DockerCalls(this.manager, this.timeoutMs);
    const [info, raw] = await Promise.all([
      calls.call('ask the manager which node it is', (abortSignal) => (this.manager.info as unknown as (o: object) => Promise<{ Swarm?: { NodeID?: string } }>).call(this.manager, { abortSignal })),
      calls.call('list nodes', (abortSignal) => listNodes(this.manager, abortSignal)),
    ]);
    const named = nodesById(raw);
    const result: NodeImageRemoval = { removedOn: [], leftOn: [], failures: [] };
    for (const node of raw) {
      if (!node.ID || node.ID === info.Swarm?.NodeID) continue;
      const name = named.get(node.ID)?.hostname ?? node.ID;
      const keys = [node.ID, node.Description?.Hostname, named.get(node.ID)?.addr].filter((k): k is string => Boolean(k));
      const key = keys.find((k) => this.engines.has(k));
      if (!key) {
        result.leftOn.push(name);
        continue;
      }
      try {
        await removeOn(new DockerCalls(this.client(this.engines.get(key)!, key), this.timeoutMs), imageId, name);
        result.removedOn.push(name);
      } catch (error) {
        result.failures.push(`${name}: ${messageOf(error)}`);
      }
    }
    return result;
  }
}

/**
 * Removes the image from one node's engine; absent counts as removed. A 409 (a task container of the service just
 * removed still stops there: Swarm removes them asynchronously) is retried for up to 30 s. Never removes an image a
 * running container uses: Docker refuses that even forced.
 */
async function removeOn(calls: DockerCalls, imageId: string, name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await calls.call(`remove image ${imageId.slice(7, 19)} on ${name}`, (abortSignal) => calls.docker.getImage(imageId).remove({ force: true, noprune: false, abortSignal }));
      return;
    } catch (error) {
      if (statusOf(error) === 404) return;
      if (statusOf(error) !== 409 || Date.now() > deadline) throw error;
      await sleep(1000);
    }
  }
}
