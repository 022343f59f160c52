import type Docker from 'dockerode';
import { LABEL_APP, LABEL_DEPLOYMENT, LABEL_PROCESS } from '../docker/container-state.js';
import { desiredReplicas, portLabel } from './service-state.js';

type ContainerSpec = { Image?: string; Env?: string[]; Args?: string[]; User?: string; Healthcheck?: { Test?: string[] } };

const containerSpecOf = (spec: unknown): ContainerSpec => ((spec as { TaskTemplate?: { ContainerSpec?: ContainerSpec } })?.TaskTemplate?.ContainerSpec ?? {});

/** What a task runs, as far as a rollback must match it: image (by digest), env, args, user, healthcheck. */
const runs = (spec: ContainerSpec) =>
  JSON.stringify([spec.Image ?? '', [...(spec.Env ?? [])].sort(), spec.Args ?? [], spec.User ?? '', spec.Healthcheck?.Test ?? []]);

/**
 * A retained (scaled to 0) service of the same app and process that runs exactly what `wanted` would run: the same
 * image digest, env, args, user and healthcheck. `wantedAt(port)` builds the new service's spec on that service's port
 * (PORT and the healthcheck name it). Scaling it back up is the instant rollback; another env (the rollback keeps
 * today's values) needs a new service.
 */
export function findRetained(
  services: Docker.Service[],
  app: string,
  process: string,
  wantedAt: (port: number | null) => unknown,
): Docker.Service | undefined {
  return services.find((service) => {
    const labels = service.Spec?.Labels ?? {};
    if (labels[LABEL_APP] !== app || labels[LABEL_PROCESS] !== process || desiredReplicas(service) !== 0) return false;
    return runs(containerSpecOf(service.Spec)) === runs(containerSpecOf(wantedAt(portLabel(service))));
  });
}

/** The retained service's spec, now labelled for the new deployment and scaled to `replicas` (service labels only: no task restarts for the label). */
export function adoptedSpec(service: Docker.Service, deploymentId: number, replicas: number): object {
  return {
    ...service.Spec,
    Labels: { ...service.Spec?.Labels, [LABEL_DEPLOYMENT]: String(deploymentId) },
    Mode: { Replicated: { Replicas: replicas } },
  };
}
