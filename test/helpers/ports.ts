import { type Server, createServer } from 'node:net';
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

/**
 * Two consecutive ports in [from, to), both bindable on 127.0.0.1 now: for a test that gives a port picker a range of
 * exactly two. Each suite asks its own range, below the ones `freePort` and deckhand hand out.
 */
export async function twoFreePorts(from: number, to: number): Promise<number> {
  const listen = (port: number) =>
    new Promise<Server>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
  for (let base = from; base + 1 < to; base += 2) {
    const servers: Server[] = [];
    try {
      for (let p = base; p < base + 2; p += 1) servers.push(await listen(p));
      return base;
    } catch {
      // one is taken: try the next two
    } finally {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    }
  }
  throw new Error(`no two free ports in ${from}–${to - 1}`);
}
