import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { adoptedSpec, findRetained } from '../../src/adapters/swarm/retained-service.js';

const IMAGE = `registry:5000/app@sha256:${'a'.repeat(64)}`;

/** A service as Swarm's inspect returns it (the fields deckhand reads). */
const service = (id: string, labels: Record<string, string>, replicas: number, env: string[], image = IMAGE) =>
  ({
    ID: id,
    Version: { Index: 7 },
    Spec: {
      Name: `deckhand-app-${labels['deckhand.deployment']}`,
      Labels: labels,
      Mode: { Replicated: { Replicas: replicas } },
      TaskTemplate: { ContainerSpec: { Image: image, Env: env, Labels: labels, Healthcheck: { Test: ['CMD', 'check', labels['deckhand.port'] ?? ''] } } },
    },
  }) as unknown as Docker.Service;

const labels = (deployment: number, port: number, app = 'app', process = 'web') => ({ 'deckhand.app': app, 'deckhand.deployment': String(deployment), 'deckhand.process': process, 'deckhand.port': String(port), 'deckhand.replicas': '3' });
/** What the new deployment would run, on a given port. */
const wanted = (env: string[], image = IMAGE) => (port: number | null) => ({ TaskTemplate: { ContainerSpec: { Image: image, Env: [...env, `PORT=${port}`], Healthcheck: { Test: ['CMD', 'check', String(port)] } } } });

describe('findRetained: the instant rollback on Swarm only brings back a service that runs exactly this version', () => {
  const v2 = service('s2', labels(2, 25000), 0, ['GREETING=hi', 'PORT=25000']);
  const v4 = service('s4', labels(4, 26000), 3, ['GREETING=hi', 'PORT=26000']);

  it('finds the scaled-to-0 service of the same app, process, image digest and env, on its own port', () => {
    expect(findRetained([v4, v2], 'app', 'web', wanted(['GREETING=hi']))?.ID).toBe('s2');
  });

  it('ignores a service that still runs, another app or process, another image, or another env', () => {
    expect(findRetained([v4], 'app', 'web', wanted(['GREETING=hi']))).toBeUndefined();
    expect(findRetained([service('x', labels(2, 25000, 'other'), 0, ['GREETING=hi', 'PORT=25000'])], 'app', 'web', wanted(['GREETING=hi']))).toBeUndefined();
    expect(findRetained([service('x', labels(2, 25000, 'app', 'worker'), 0, ['GREETING=hi', 'PORT=25000'])], 'app', 'web', wanted(['GREETING=hi']))).toBeUndefined();
    expect(findRetained([v2], 'app', 'web', wanted(['GREETING=hi'], `registry:5000/app@sha256:${'b'.repeat(64)}`))).toBeUndefined();
    // The rollback keeps today's env: a changed value needs a new service.
    expect(findRetained([v2], 'app', 'web', wanted(['GREETING=hello']))).toBeUndefined();
  });

  it('adoptedSpec relabels the service (not its tasks) for the new deployment and sets the replicas', () => {
    const spec = adoptedSpec(v2, 9, 3) as { Labels: Record<string, string>; Mode: unknown; TaskTemplate: { ContainerSpec: { Labels: Record<string, string> } } };
    expect(spec.Labels['deckhand.deployment']).toBe('9');
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 3 } });
    expect(spec.TaskTemplate.ContainerSpec.Labels['deckhand.deployment']).toBe('2');
  });
});
