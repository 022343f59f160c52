import { DeckhandError } from '../../domain/errors.js';
import { LABEL_PORT } from '../docker/container-state.js';
import type { DockerCalls } from '../docker/docker-calls.js';
import { listServices } from './swarm-api.js';

/** How long a port handed out stays reserved in this process before its service exists (a deploy between freePort and start). */
const RESERVED_MS = 60_000;

/**
 * A port in the range that no deckhand service of any app declares (label `deckhand.port`, stopped ones included:
 * scaling back up must find its port free) and that was not handed out in the last minute, picked from a random
 * start. Host networking: a port something else holds on a node fails that task's bind; waitHealthy names it.
 */
export async function freeServicePort(calls: DockerCalls, recent: Map<number, number>, range: { from: number; to: number }): Promise<number> {
  const services = await calls.call('list deckhand services', (abortSignal) => listServices(calls.docker, { label: [LABEL_PORT] }, abortSignal));
  const now = Date.now();
  for (const [port, at] of recent) if (now - at > RESERVED_MS) recent.delete(port);
  const used = new Set([...services.map((s) => Number(s.Spec?.Labels?.[LABEL_PORT])), ...recent.keys()]);
  const size = range.to - range.from + 1;
  const offset = Math.floor(Math.random() * size);
  for (let i = 0; i < size; i += 1) {
    const port = range.from + ((offset + i) % size);
    if (used.has(port)) continue;
    recent.set(port, now);
    return port;
  }
  throw new DeckhandError('start_failed', `No free port left in ${range.from}–${range.to} on the Swarm.`);
}
