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
 * ephemeral range, ports handed out in the last minute, and any port something listens on or holds now.
 */
export class HostPorts {
  private readonly recent = new Map<number, number>();
  /** The kernel's ephemeral range, avoided unless the whole range lies in it (an operator's choice, then taken as is). */
  private readonly ephemeral: PortRange | undefined;

  constructor(private readonly range: PortRange = DEFAULT_HOST_PORTS) {
    const kernel = ephemeralRange();
    const inside = kernel !== undefined && range.from >= kernel.from && range.to <= kernel.to;
    this.ephemeral = inside ? undefined : kernel;
  }

  async next(): Promise<number> {
    const now = Date.now();
    for (const [port, at] of this.recent) if (now - at > RESERVED_MS) this.recent.delete(port);
    const { from, to } = this.range;
    const size = to - from + 1;
    const offset = Math.floor(Math.random() * size);
    for (let i = 0; i < size; i += 1) {
      const port = from + ((offset + i) % size);
      if (this.recent.has(port) || this.isEphemeral(port)) continue;
      if (!(await bindable(port))) continue;
      this.recent.set(port, now);
      return port;
    }
    throw new DeckhandError(
      'start_failed',
      `No free port left for a new container in ${from}–${to}${this.ephemeral ? ` outside the ephemeral range ${this.ephemeral.from}–${this.ephemeral.to}` : ''}: every one is in use or was handed out in the last minute (set DECKHAND_PORT_RANGE to a wider range).`,
      { from, to },
    );
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
