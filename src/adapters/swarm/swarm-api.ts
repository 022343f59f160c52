import type Docker from 'dockerode';

/**
 * The Swarm objects as the Engine API returns them (the fields deckhand reads). dockerode's typings of tasks and
 * nodes are too loose to read safely, and some of its methods only type the callback form: these helpers call the
 * promise form with an abort signal and type what comes back.
 */
export interface RawTask {
  ID?: string;
  ServiceID?: string;
  NodeID?: string;
  DesiredState?: string;
  CreatedAt?: string;
  Slot?: number;
  Status?: { State?: string; Message?: string; Err?: string; ContainerStatus?: { ExitCode?: number } };
}

export interface RawNode {
  ID?: string;
  Description?: { Hostname?: string };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Addr?: string };
  Spec?: { Role?: string; Availability?: string };
}

/** Basic-auth credentials for one registry, sent base64-encoded as X-Registry-Auth. */
export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

type Filters = Record<string, string[]>;

export const listTasks = (docker: Docker, filters: Filters, abortSignal: AbortSignal) =>
  (docker.listTasks as unknown as (o: object) => Promise<RawTask[]>).call(docker, { filters, abortSignal });

export const listNodes = (docker: Docker, abortSignal: AbortSignal) =>
  (docker.listNodes as unknown as (o: object) => Promise<RawNode[]>).call(docker, { abortSignal });

export const listServices = (docker: Docker, filters: Filters, abortSignal: AbortSignal) =>
  (docker.listServices as unknown as (o: object) => Promise<Docker.Service[]>).call(docker, { filters, abortSignal });

export const inspectImage = (docker: Docker, image: string, abortSignal: AbortSignal) =>
  (docker.getImage(image).inspect as unknown as (o: object) => Promise<Docker.ImageInspectInfo>).call(docker.getImage(image), { abortSignal });

export async function inspectNetwork(docker: Docker, name: string, abortSignal: AbortSignal): Promise<{ Id: string }> {
  const network = docker.getNetwork(name);
  return (network.inspect as unknown as (o: object) => Promise<{ Id: string }>).call(network, { abortSignal });
}

/** POST /services/create, with X-Registry-Auth when credentials are given. Resolves the new service's id. */
export async function createService(docker: Docker, spec: object, auth: RegistryAuth | undefined, abortSignal: AbortSignal): Promise<string> {
  const create = docker.createService as unknown as (...args: unknown[]) => Promise<{ id: string }>;
  const created = auth ? await create.call(docker, auth, { ...spec, abortSignal }) : await create.call(docker, { ...spec, abortSignal });
  return created.id;
}

/** POST /services/{id}/update?version=…: the whole spec in the body, the version in the query. */
export async function updateService(docker: Docker, id: string, version: number | undefined, spec: object, auth: RegistryAuth | undefined, abortSignal: AbortSignal): Promise<void> {
  const service = docker.getService(id);
  const update = service.update as unknown as (...args: unknown[]) => Promise<unknown>;
  await update.call(service, auth, { _query: { version }, _body: spec, abortSignal });
}
