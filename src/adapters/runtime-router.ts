import type { NodeImageRemoval, Placement } from '../domain/placement/placement.js';
import { DeckhandError } from '../domain/errors.js';
import type { BuildRequest, ContainerState, ImageInfo, RunOnceRequest, Runtime, RuntimeHealth, RuntimeHealthWait, StartRequest } from '../domain/ports.js';
import type { Layer } from '../domain/retention/layers.js';

export interface RuntimeRouterOptions {
  /** The runtimes by name (`docker`, `swarm`), in the order an unknown id is asked about. */
  runtimes: ReadonlyMap<string, Runtime>;
  /** The name of an app's runtime: its `target`, else the global default. Undefined: not an app of the apps file. */
  runtimeOf: (app: string) => string | undefined;
  /**
   * The runtime asked about images that no app names (inspect, layers, removal, the engine's whole list). Every
   * runtime builds, pulls and keeps its images on the ONE engine of DOCKER_SOCKET/DOCKER_HOST (the Swarm manager's),
   * so any of them sees the same images; this names which one answers.
   */
  images: string;
  /** The app whose `registry:` or `image:` is this repository (`host/name`), when exactly one is. */
  appOfRepository: (repository: string) => string | undefined;
}

/** `host:5000/name:tag` or `host/name@sha256:…` without its tag or digest. */
export function repositoryOf(ref: string): string {
  const at = ref.indexOf('@');
  const name = at >= 0 ? ref.slice(0, at) : ref;
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}

/**
 * One deckhand, several runtimes (issue 13): each call goes to the runtime of the app it concerns, so the deploy
 * engine, rollback, retention, Slack and the CLI keep driving ONE Runtime and never learn which one runs an app.
 *
 * - A call that names the app (build, start, runOnce, listContainers, listImages) goes to that app's runtime.
 * - A call by container/service id goes to the runtime that returned the id (start, listContainers, inspect are
 *   remembered); an id this process never saw (a deploy recorded by an earlier process) is looked up in every
 *   runtime. One that none knows is gone: inspect says undefined, stop and remove do nothing (as both adapters do
 *   for a missing id), restart, exec and logs fail with not_found, waitHealthy fails. Never a guess.
 * - A push goes with the runtime of the app whose `registry:` it pushes to (a Swarm app's push carries the
 *   credentials the nodes pull with); an image pull with the app whose `registry:`/`image:` it names; other image
 *   calls with `images` (one engine holds them all).
 */
export class RuntimeRouter implements Runtime {
  private readonly owners = new Map<string, Runtime>();

  constructor(private readonly options: RuntimeRouterOptions) {
    if (!options.runtimes.has(options.images)) throw new DeckhandError('internal', `runtime router: no runtime named ${options.images}`);
  }

  /** The runtime of this name (`docker`, `swarm`), when the router has one. */
  named(name: string): Runtime | undefined {
    return this.options.runtimes.get(name);
  }

  /** The runtime an app runs on; an app of no runtime is refused (deckhand only drives apps of its apps file). */
  of(app: string): Runtime {
    const name = this.options.runtimeOf(app);
    const runtime = name === undefined ? undefined : this.options.runtimes.get(name);
    if (!runtime) throw new DeckhandError('unknown_app', `No runtime runs app "${app}": it is not in the apps file.`, { app });
    return runtime;
  }

  /** Whether the app's runtime judges health itself (a cluster's task healthchecks): only then is waitHealthy used for it. */
  judgesHealth(app: string): boolean {
    const runtime = this.of(app);
    return Boolean(runtime.waitHealthy) && (runtime.judgesHealth?.(app) ?? true);
  }

  private get images(): Runtime {
    return this.options.runtimes.get(this.options.images)!;
  }

  private forRef(ref: string): Runtime {
    const app = this.options.appOfRepository(repositoryOf(ref));
    return app === undefined ? this.images : this.of(app);
  }

  private remember<T extends { id: string }>(runtime: Runtime, states: T[]): T[] {
    for (const state of states) this.owners.set(state.id, runtime);
    return states;
  }

  /** The runtime that knows this container/service id, and its state; undefined when none does. */
  private async locate(id: string): Promise<{ runtime: Runtime; state: ContainerState } | undefined> {
    const known = this.owners.get(id);
    if (known) {
      const state = await known.inspectContainer(id);
      if (state) return { runtime: known, state };
      this.owners.delete(id);
      return undefined;
    }
    const found = [];
    for (const runtime of this.options.runtimes.values()) {
      const state = await runtime.inspectContainer(id);
      if (state) found.push({ runtime, state });
    }
    if (found.length > 1) throw new DeckhandError('internal', `Container or service ${id.slice(0, 25)} is known to ${found.length} runtimes; refusing to pick one.`, { id });
    if (found[0]) this.owners.set(id, found[0].runtime);
    return found[0];
  }

  private async owner(id: string): Promise<Runtime | undefined> {
    return this.owners.get(id) ?? (await this.locate(id))?.runtime;
  }

  private async ownerOrGone(id: string, what: string): Promise<Runtime> {
    const runtime = await this.owner(id);
    if (!runtime) throw new DeckhandError('not_found', `Cannot ${what} ${id.slice(0, 25)}: no runtime knows this container or service (it is gone).`, { id });
    return runtime;
  }

  build(request: BuildRequest): Promise<{ imageId: string }> {
    return this.of(request.app).build(request);
  }
  push(imageId: string, ref: string, onLog: (line: string) => void): Promise<void> {
    return this.forRef(ref).push(imageId, ref, onLog);
  }
  ensureImage(ref: string, pull: 'missing' | 'always', onLog: (line: string) => void): Promise<{ imageId: string }> {
    return this.forRef(ref).ensureImage(ref, pull, onLog);
  }
  inspectImage(idOrRef: string): Promise<ImageInfo | undefined> {
    return this.images.inspectImage(idOrRef);
  }
  listImages(app: string): Promise<ImageInfo[]> {
    return this.of(app).listImages(app);
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

  async start(request: StartRequest): Promise<ContainerState> {
    const runtime = this.of(request.app);
    return this.remember(runtime, [await runtime.start(request)])[0]!;
  }
  runOnce(request: RunOnceRequest): Promise<{ exitCode: number }> {
    return this.of(request.app).runOnce(request);
  }
  async inspectContainer(id: string): Promise<ContainerState | undefined> {
    return (await this.locate(id))?.state;
  }
  async listContainers(app: string): Promise<ContainerState[]> {
    const runtime = this.of(app);
    return this.remember(runtime, await runtime.listContainers(app));
  }
  async stop(id: string, graceMs?: number): Promise<void> {
    await (await this.owner(id))?.stop(id, graceMs);
  }
  async restart(id: string): Promise<void> {
    await (await this.ownerOrGone(id, 'start')).restart(id);
  }
  async exec(id: string, argv: string[], timeoutMs: number): Promise<{ exitCode: number; output: string[] }> {
    return (await this.ownerOrGone(id, 'run a command in')).exec(id, argv, timeoutMs);
  }
  async remove(id: string): Promise<void> {
    const runtime = await this.owner(id);
    if (!runtime) return;
    await runtime.remove(id);
    this.owners.delete(id);
  }
  async logsTail(id: string, lines: number): Promise<string[]> {
    return (await this.ownerOrGone(id, 'read the logs of')).logsTail(id, lines);
  }

  /** A port for the app's next version, from the app's runtime (a host port, or one no Swarm service declares). */
  async freePort(app?: string): Promise<number> {
    if (app === undefined) throw new DeckhandError('internal', 'runtime router: freePort needs the app (each runtime hands out its own ports)');
    return this.of(app).freePort(app);
  }

  /** The version's tasks node by node, from the runtime that runs it (none on the Docker host). */
  async placement(id: string): Promise<Placement | undefined> {
    return (await this.owner(id))?.placement?.(id);
  }

  /** Removes a pruned image of the app from the other nodes, when its runtime is a cluster (nothing for a host app). */
  async removeNodeImages(imageId: string, app: string): Promise<NodeImageRemoval | undefined> {
    return this.of(app).removeNodeImages?.(imageId, app);
  }

  async waitHealthy(id: string, wait: RuntimeHealthWait): Promise<RuntimeHealth> {
    const runtime = await this.owner(id);
    if (!runtime) return { ok: false, reason: `${id.slice(0, 25)} is gone: no runtime knows it.` };
    if (!runtime.waitHealthy) throw new DeckhandError('internal', `The runtime of ${id.slice(0, 25)} does not judge health itself: deckhand probes it (Runtime.judgesHealth).`);
    return runtime.waitHealthy(id, wait);
  }
}
