import type Docker from 'dockerode';
import { WEB_PROCESS } from '../../domain/apps.js';
import { DeckhandError } from '../../domain/errors.js';
import type { NodeImageRemoval, Placement } from '../../domain/placement/placement.js';
import type { BuildRequest, ContainerState, ImageInfo, RegistryClient, RunOnceRequest, Runtime, RuntimeHealth, RuntimeHealthWait, StartRequest } from '../../domain/ports.js';
import type { Layer } from '../../domain/retention/layers.js';
import { LABEL_APP } from '../docker/container-state.js';
import { DockerCalls, isConnectionError } from '../docker/docker-calls.js';
import { DockerRuntime } from '../docker/docker-runtime.js';
import { EngineRegistryClient } from './engine-registry.js';
import { pushWithAuth } from './registry-push.js';
import { adoptedSpec, findRetained } from './retained-service.js';
import { ServiceCalls } from './service-calls.js';
import { freeServicePort } from './service-ports.js';
import { NodeImages } from './node-images.js';
import { placementOf } from './placement.js';
import { PlacementWatch } from './placement-watch.js';
import { explainExits } from './task-output.js';
import { type ServiceSnapshot, waitServiceHealthy } from './service-health.js';
import { DEFAULT_HEALTH, type SwarmRuntimeOptions } from './swarm-options.js';
import { runOnceService, serviceLogs } from './service-run-once.js';
import { type HealthTiming, type SwarmTarget, busyboxWget, serviceName, serviceSpec } from './service-spec.js';
import { createService, inspectImage, inspectNetwork, listServices, updateService } from './swarm-api.js';
import { type SwarmTask, desiredReplicas, portLabel, serviceState, wantedReplicas } from './service-state.js';

export type { SwarmTask } from './service-state.js';
export type { SwarmTarget } from './service-spec.js';
export type { SwarmRuntimeOptions } from './swarm-options.js';

const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode;
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
/** A task told to stop (scaled down) that still runs on a node that is up. */
const stillStopping = (t: SwarmTask) => t.desiredState !== 'running' && ['running', 'starting'].includes(t.state) && t.nodeState === 'ready';
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Docker Swarm behind the Runtime port, driven through the MANAGER's API. Each deployment (and each process of it)
 * is its own service `deckhand-<app>-<id>` on the host network (no routing mesh), one task per node, pulled by
 * digest from the app's registry; a stopped version is its service scaled to 0 (scaling back is the instant
 * rollback). Images are built and pushed on the manager (an internal DockerRuntime over the same client).
 */
export class SwarmRuntime implements Runtime {
  private readonly calls: DockerCalls;
  private readonly services: ServiceCalls;
  private readonly images: DockerRuntime;
  private readonly health: HealthTiming;
  private readonly pollMs: number;
  private readonly recentPorts = new Map<number, number>();
  private hostNetwork: string | undefined;
  private nodeImages: NodeImages | undefined;

  constructor(
    readonly docker: Docker,
    private readonly options: SwarmRuntimeOptions = {},
  ) {
    this.calls = new DockerCalls(docker, options.timeoutMs ?? 15_000);
    this.services = new ServiceCalls(this.calls, docker, options.registryAuth);
    const auth = options.registryAuth;
    // The manager pulls (a pull rollback) with the same credentials the nodes get.
    this.images = new DockerRuntime(docker, { timeoutMs: options.timeoutMs ?? 15_000, ...(auth ? { registryAuth: async (host: string) => (host === auth.serveraddress ? { host, username: auth.username, password: auth.password, source: 'DECKHAND_REGISTRY_AUTH' } : { host, source: 'none' }) } : {}) });
    this.health = { ...DEFAULT_HEALTH, ...options.health };
    this.pollMs = options.pollMs ?? 500;
  }

  build(request: BuildRequest): Promise<{ imageId: string }> {
    return this.images.build(request);
  }
  push(imageId: string, ref: string, onLog: (line: string) => void): Promise<void> {
    return pushWithAuth(this.calls, imageId, ref, this.options.registryAuth, onLog);
  }
  ensureImage(ref: string, pull: 'missing' | 'always', onLog: (line: string) => void): Promise<{ imageId: string }> {
    return this.images.ensureImage(ref, pull, onLog);
  }
  inspectImage(idOrRef: string): Promise<ImageInfo | undefined> {
    return this.images.inspectImage(idOrRef);
  }
  listImages(app: string): Promise<ImageInfo[]> {
    return this.images.listImages(app);
  }
  imageLayers(id: string): Promise<Layer[] | undefined> {
    return this.images.imageLayers(id);
  }
  listImageIds(): Promise<string[]> {
    return this.images.listImageIds();
  }
  removeImage(id: string): Promise<boolean> {
    return this.images.removeImage(id);
  }

  /** The registry client deckhand uses with this runtime: `has` asks through the manager's engine (see engine-registry.ts). */
  registryClient(http: RegistryClient): EngineRegistryClient {
    return new EngineRegistryClient(this.docker, this.options.registryAuth, http, this.options.timeoutMs ?? 15_000);
  }

  private targetOf(app: string): SwarmTarget {
    return this.options.target?.(app) ?? this.options.defaultTarget ?? { replicas: 1 };
  }

  private async hostNetworkId(): Promise<string> {
    this.hostNetwork ??= (await this.calls.call('inspect the host network', (abortSignal) => inspectNetwork(this.docker, 'host', abortSignal))).Id;
    return this.hostNetwork;
  }

  /** repo@sha256:… of an image pushed from the manager: what every node pulls. */
  private async imageByDigest(image: string): Promise<string> {
    if (/@sha256:[0-9a-f]{64}$/.test(image)) return image;
    let digests: string[] = [];
    try {
      const info = await this.calls.call(`inspect image ${image}`, (abortSignal) => inspectImage(this.docker, image, abortSignal));
      digests = info.RepoDigests ?? [];
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      throw new DeckhandError('start_failed', `Image ${image} is not on the Swarm manager.`, { image });
    }
    if (digests.length === 0) throw new DeckhandError('start_failed', `Image ${image} was never pushed to a registry, so the Swarm nodes cannot pull it: a Swarm app needs a registry: add \`registry:\` to the app.`, { image });
    const registry = this.options.registryAuth?.serveraddress;
    return digests.find((d) => registry && d.startsWith(`${registry}/`)) ?? digests[0]!;
  }

  /**
   * Creates the version's service. On Swarm a process is ONE service with N replicas (`processReplicas`, else the
   * app's replicas): the call for replica 1 creates it; a call for replica ≥ 2 returns that same service, so a
   * caller looping over replicas gets one service id (repeated).
   */
  async start(request: StartRequest): Promise<ContainerState> {
    await request.created?.(); // a service is created running: nothing can be made ahead of the start
    const process = request.process ?? WEB_PROCESS;
    const web = process === WEB_PROCESS;
    const name = serviceName(request.app, request.deploymentId, process);
    if ((request.replica ?? 1) > 1) {
      const existing = await this.inspectContainer(name);
      if (existing) return existing;
    }
    const target = this.targetOf(request.app);
    const replicas = web ? target.replicas : (target.processReplicas?.[process] ?? target.replicas);
    try {
      const image = await this.imageByDigest(request.image);
      const hostNetworkId = await this.hostNetworkId();
      const specAt = (port: number | null) => serviceSpec({
        request: { ...request, port },
        image,
        replicas,
        constraints: target.constraints ?? [],
        hostNetworkId,
        ...(web && port !== null ? { healthTest: (target.healthArgv ?? this.options.healthArgv ?? busyboxWget)(port, target.healthPath ?? '/') } : {}),
        health: this.health,
        maxRestarts: this.options.maxRestarts ?? 3,
        stopGraceMs: target.stopGraceMs ?? this.options.stopGraceMs ?? 10_000,
        ...(this.options.templateEnv ? { templateEnv: this.options.templateEnv } : {}),
      });
      const ofApp = await this.calls.call(`list services of ${request.app}`, (abortSignal) => listServices(this.docker, { label: [`${LABEL_APP}=${request.app}`] }, abortSignal));
      const retained = findRetained(ofApp, request.app, process, (port) => specAt(web ? port : request.port));
      if (retained) return await this.adopt(retained, request.deploymentId, replicas);
      await this.removeLeftover(name, request.app);
      const spec = specAt(request.port);
      const id = await this.calls.call(`create service ${name}`, (abortSignal) => createService(this.docker, spec, this.options.registryAuth, abortSignal));
      const state = await this.inspectContainer(id);
      if (!state) throw new DeckhandError('start_failed', `Service ${name} disappeared right after it was created.`);
      return { ...state, running: true, status: 'running' };
    } catch (error) {
      if (error instanceof DeckhandError || isConnectionError(error)) throw error;
      throw new DeckhandError('start_failed', `Could not create the Swarm service ${name}: ${messageOf(error)}`, {}, { cause: error });
    }
  }

  /**
   * The instant rollback: a retained service that runs exactly this version is labelled for the new deployment and
   * scaled back up (its tasks are new, on its own port); the caller reads the port from the returned state.
   */
  private async adopt(service: Docker.Service, deploymentId: number, replicas: number): Promise<ContainerState> {
    // Tasks of its last scale-down may still be in their stop grace, holding the port on their nodes: wait them out.
    const grace = (service.Spec?.TaskTemplate as { ContainerSpec?: { StopGracePeriod?: number } } | undefined)?.ContainerSpec?.StopGracePeriod;
    const until = Date.now() + (typeof grace === 'number' ? grace / 1e6 : 10_000) + 15_000;
    while ((await this.services.taskViews([service.ID])).some(stillStopping) && Date.now() < until) await sleep(this.pollMs);
    const spec = adoptedSpec(service, deploymentId, replicas);
    await this.calls.call(`scale the retained service ${service.Spec?.Name} back up`, (abortSignal) => updateService(this.docker, service.ID, service.Version?.Index, spec, this.options.registryAuth, abortSignal));
    const state = await this.inspectContainer(service.ID);
    if (!state) throw new DeckhandError('start_failed', `The retained service ${service.Spec?.Name} disappeared while it was scaled back up.`);
    return { ...state, running: true, status: 'running' };
  }

  /** A service of this name left by an earlier attempt of the same app (never another app's) is removed first. */
  private async removeLeftover(name: string, app: string): Promise<void> {
    const found = await this.calls.call(`look up service ${name}`, (abortSignal) => listServices(this.docker, { name: [name] }, abortSignal));
    for (const service of found) if (service.Spec?.Name === name && service.Spec?.Labels?.[LABEL_APP] === app) await this.remove(service.ID);
  }

  runOnce(request: RunOnceRequest): Promise<{ exitCode: number }> {
    return this.releaseContext(request).then((ctx) => runOnceService(ctx, request));
  }

  private async releaseContext(request: RunOnceRequest) {
    return {
      calls: this.calls,
      auth: this.options.registryAuth,
      hostNetworkId: await this.hostNetworkId(),
      image: await this.imageByDigest(request.image).catch((error: unknown) => {
        throw new DeckhandError('release_failed', messageOf(error), {}, { cause: error });
      }),
      constraints: this.targetOf(request.app).constraints ?? [],
      pollMs: this.pollMs,
      sleep,
    };
  }

  async inspectContainer(id: string): Promise<ContainerState | undefined> {
    const service = await this.services.inspect(id);
    if (!service) return undefined;
    return serviceState(service, await this.services.taskViews([service.ID]));
  }

  async listContainers(app: string): Promise<ContainerState[]> {
    const services = await this.calls.call(`list services of ${app}`, (abortSignal) => listServices(this.docker, { label: [`${LABEL_APP}=${app}`] }, abortSignal));
    const tasks = (await this.services.taskViews(services.map((s) => s.ID))) as Array<SwarmTask & { serviceId: string }>;
    return services.map((s) => serviceState(s, tasks.filter((t) => t.serviceId === s.ID)));
  }

  /** Per-node tasks of a service for `status`: those Swarm wants running, and those still seen running (a lost node's). */
  async tasks(id: string): Promise<SwarmTask[]> {
    const service = await this.services.inspect(id);
    if (!service) return [];
    const tasks = await this.services.taskViews([service.ID]);
    return tasks
      .filter((t) => t.desiredState === 'running' || t.state === 'running')
      .map(({ serviceId: _serviceId, ...t }: SwarmTask & { serviceId?: string }) => t)
      .sort((a, b) => a.node.localeCompare(b.node) || b.createdAt.localeCompare(a.createdAt));
  }

  /** Scales the service to 0: its tasks get SIGTERM and the stop grace period; the service stays (instant rollback). */
  stop(id: string): Promise<void> {
    return this.services.scale(id, () => 0);
  }

  /** Scales the service back to the replicas it was created with. */
  restart(id: string): Promise<void> {
    return this.services.scale(id, wantedReplicas);
  }

  exec(_id: string, _argv: string[], _timeoutMs: number): Promise<{ exitCode: number; output: string[] }> {
    return Promise.reject(
      new DeckhandError('config_invalid', 'Running a command inside a task is not supported on Swarm (a process `health.cmd`): its tasks run on other nodes; use a web HEALTHCHECK or `healthyAfter`.'),
    );
  }

  async remove(id: string): Promise<void> {
    try {
      await this.calls.call(`remove service ${id.slice(0, 25)}`, (abortSignal) => this.docker.getService(id).remove({ abortSignal }));
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  logsTail(id: string, lines: number): Promise<string[]> {
    return serviceLogs(this.calls, id, lines);
  }

  /** A port of the range no deckhand service declares (see service-ports.ts). */
  freePort(): Promise<number> {
    return freeServicePort(this.calls, this.recentPorts, this.options.portRange ?? { from: 20000, to: 29999 });
  }

  /** The service's tasks node by node (see placement.ts); undefined when the service is gone. */
  async placement(id: string): Promise<Placement | undefined> {
    const service = await this.services.inspect(id);
    if (!service) return undefined;
    const { tasks, nodes } = await this.services.tasksAndNodes([service.ID]);
    return placementOf(service, tasks, nodes);
  }

  /** A pruned image on the other nodes, through the engines the operator gave (see node-images.ts). */
  removeNodeImages(imageId: string): Promise<NodeImageRemoval> {
    this.nodeImages ??= new NodeImages(this.docker, this.options.nodeEngines ?? new Map(), this.options.timeoutMs ?? 15_000);
    return this.nodeImages.remove(imageId);
  }

  /**
   * Waits for the service's tasks (see service-health.ts); a task that exited is explained from its last output. What
   * changes on the cluster meanwhile (a node lost or back, a task failed or moved) goes to `onNotice`, and a version
   * serving on fewer nodes than asked says so in its `note` (see placement-watch.ts).
   */
  async waitHealthy(id: string, wait: RuntimeHealthWait): Promise<RuntimeHealth> {
    let port: number | null = null;
    const watch = new PlacementWatch((message) => wait.onNotice?.(message));
    const read = async (): Promise<ServiceSnapshot> => {
      const service = await this.services.inspect(id);
      if (!service) return { desired: undefined, port: null, tasks: [] };
      port = portLabel(service);
      const { tasks, nodes } = await this.services.tasksAndNodes([service.ID]);
      watch.see(tasks, nodes);
      return { desired: desiredReplicas(service), port, tasks };
    };
    const replicas = (await this.services.inspect(id).then((s) => (s ? desiredReplicas(s) : 0))) || 1;
    const policy = { maxFailures: this.options.maxTaskFailures ?? Math.max(3, replicas), nodeLoss: this.options.nodeLoss ?? 'complete-on-remaining' } as const;
    const explain = (failed: SwarmTask[]) => explainExits(this.calls, failed, port);
    const result = await waitServiceHealthy({ read, now: () => Date.now(), sleep, pollMs: this.pollMs, explain, ...policy }, wait);
    const note = result.ok ? watch.summary(replicas) : undefined;
    return note && result.ok ? { ...result, note } : result;
  }
}
