import { HostPorts } from '../../src/adapters/docker/host-ports.js';

/**
 * A port for a test's app, server or cluster to listen on soon, free now and not handed out by this process in the
 * last minute. Picked from 15000–17999: outside Linux's ephemeral range (an outgoing connection, say a health probe,
 * could take an ephemeral port as its local port before the app binds it, and the app then exits at start), outside
 * the range deckhand itself hands to new containers (10000–14999) and below the Swarm suites' fixed ports (18xxx).
 */
const ports = new HostPorts({ from: 15000, to: 17999 });

export function freePort(): Promise<number> {
  return ports.next();
}
