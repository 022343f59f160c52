import type Docker from 'dockerode';
import type { DockerCalls } from '../docker/docker-calls.js';
import { type NodeInfo, type SwarmTask, desiredReplicas, nodesById, taskView } from './service-state.js';
import { type RegistryAuth, listNodes, listTasks, updateService } from './swarm-api.js';

const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode;
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The manager's answers about services (inspect, their tasks with their nodes) and scaling them, every call bounded. */
export class ServiceCalls {
  constructor(
    private readonly calls: DockerCalls,
    private readonly docker: Docker,
    private readonly registryAuth?: RegistryAuth,
  ) {}

  async inspect(id: string): Promise<Docker.Service | undefined> {
    try {
      return (await this.calls.call(`inspect service ${id.slice(0, 25)}`, (abortSignal) => this.docker.getService(id).inspect({ abortSignal }))) as Docker.Service;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** The tasks of these services, each with its node's name, address and state. */
  async taskViews(serviceIds: string[]): Promise<SwarmTask[]> {
    if (serviceIds.length === 0) return [];
    return (await this.tasksAndNodes(serviceIds)).tasks;
  }

  /** The tasks of these services and every node of the cluster (a node with no task of theirs too). */
  async tasksAndNodes(serviceIds: string[]): Promise<{ tasks: SwarmTask[]; nodes: NodeInfo[] }> {
    const [tasks, nodes] = await Promise.all([
      serviceIds.length ? this.calls.call('list tasks', (abortSignal) => listTasks(this.docker, { service: serviceIds }, abortSignal)) : [],
      this.calls.call('list nodes', (abortSignal) => listNodes(this.docker, abortSignal)),
    ]);
    const byId = nodesById(nodes);
    return { tasks: tasks.map((t) => ({ ...taskView(t, byId), serviceId: t.ServiceID ?? '' })), nodes: [...byId.values()] };
  }

  /** Sets the replica count (with the registry auth, so nodes that pull can). Swarm's version check: retried on conflict. */
  async scale(id: string, replicas: (service: Docker.Service) => number): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const service = await this.inspect(id);
      if (!service) return;
      const wanted = replicas(service);
      if (desiredReplicas(service) === wanted) return;
      const spec = { ...service.Spec, Mode: { Replicated: { Replicas: wanted } } };
      try {
        await this.calls.call(`scale service ${spec.Name} to ${wanted}`, (abortSignal) => updateService(this.docker, service.ID, service.Version?.Index, spec, this.registryAuth, abortSignal));
        return;
      } catch (error) {
        if (statusOf(error) === 404) return;
        if (attempt >= 3 || !/out of sequence|update out of sequence/i.test(messageOf(error))) throw error;
      }
    }
  }
}
