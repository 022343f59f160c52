import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { DeckhandError } from '../../domain/errors.js';

export interface PortRange {
  from: number;
  to: number;
}

/** Ports for new containers beside the old (proxy mode): outside Linux's default ephemeral range (32768–60999). */
export const DEFAULT_HOST_PORTS: PortRange = { from: 10000, to: 14999 };
/** How long a port handed out stays reserved in this process before its container listens on it. */
const RESERVED_MS = 60_000;

/**
 * Hands out a port for a new container on this host. Not from the kernel's ephemeral range (what `listen(0)` gave
 * before): every outgoing connection on the host (Caddy to its upstreams, health probes, the database client) takes
 * its local port from that range, and one that took the port between the pick and the container's bind made the app
 * exit at start (`bind: Address in use`). Here a port is picked from `range` at a random start, skipping the live
 * ephemeral range, ports handed out in the last minute, any port something listens on or holds now, and any port a
 * container of deckhand's is labelled with (`claimed`), running or not: recovery starts a stopped container on its own
 * port, and Docker restarts a crashed one there after a backoff, while nothing listens on it.
 */
export class HostPorts {
  private readonly recent = new Map<number, number>();
  /** The kernel's ephemeral range, avoided unless the whole range lies in it (an operator's choice, then taken as is). */
  private readonly ephemeral: PortRange | undefined;

  private known?: Promise<Set<number>>;

  /**
   * `claimed` lists the ports deckhand's containers are labelled with. It is asked at every pick, but a pick uses the
   * answer of the pick before (the first waits for its own): the listing is off the deploy's critical path, and a
   * container that stays stopped is in every answer. One made since then by this process is in the last minute's
   * reservations; one made by another process and stopped since is seen from the next pick on.
   */
  constructor(
    private readonly range: PortRange = DEFAULT_HOST_PORTS,
    private readonly claimed?: () => Promise<Set<number>>,
  ) {
    const kernel = ephemeralRange();
    const inside = kernel !== undefined && range.from >= kernel.from && range.to <= kernel.to;
    this.ephemeral = inside ? undefined : kernel;
  }

  async next(): Promise<number> {
    const now = Date.now();
    for (const [port, at] of this.recent) if (now - at > RESERVED_MS) this.recent.delete(port);
    const claimed = await this.claimedPorts();
    const { from, to } = this.range;
    const size = to - from + 1;
    const offset = Math.floor(Math.random() * size);
    for (let i = 0; i < size; i += 1) {
      const port = from + ((offset + i) % size);
      if (this.recent.has(port) || this.isEphemeral(port) || claimed.has(port)) continue;
      if (!(await bindable(port))) continue;
      this.recent.set(port, now);
      return port;
    }
    throw new DeckhandError(
      'start_failed',
      `No free port left for a new container in ${from}–${to}${this.ephemeral ? ` outside the ephemeral range ${this.ephemeral.from}–${this.ephemeral.to}` : ''}: every one is in use, labelled on a container of deckhand's, or was handed out in the last minute (set DECKHAND_PORT_RANGE to a wider range).`,
      { from, to },
    );
  }

  /** The previous pick's listing (the first pick waits for its own) while the next one is asked; none when it fails. */
  private claimedPorts(): Promise<Set<number>> {
    if (!this.claimed) return Promise.resolve(new Set());
    const fresh = this.claimed().catch(() => new Set<number>());
    const previous = this.known;
    this.known = fresh;
    return previous ?? fresh;
  }

  private isEphemeral(port: number): boolean {
    return this.ephemeral !== undefined && port >= this.ephemeral.from && port <= this.ephemeral.to;
  }
}

/** The kernel's ephemeral port range, or undefined where it cannot be read (not Linux). */
function ephemeralRange(): PortRange | undefined {
  try {
    const [from, to] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return Number.isInteger(from) && Number.isInteger(to) ? { from: from!, to: to! } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether 127.0.0.1:port can be bound now (nothing listens on it or holds it as a local port). */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}
