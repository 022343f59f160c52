import { mkdirSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostPorts } from '../../src/adapters/docker/host-ports.js';
import { localProcesses } from '../../src/domain/locks/lease.js';
import { tryTakeFile } from './file-lock.js';

/**
 * A port for a test's app, server or cluster to listen on soon, free now and not handed out by this process in the
 * last minute. Picked from 15000–17999: outside Linux's ephemeral range (an outgoing connection, say a health probe,
 * could take an ephemeral port as its local port before the app binds it, and the app then exits at start), outside
 * the range deckhand itself hands to new containers (10000–14999) and below the Swarm suites' fixed ports (18xxx).
 */
const ports = new HostPorts({ from: 15000, to: 17999 });
/** Where each test process marks the ports it was handed (a file per port, holding its pid). */
const RESERVATIONS = join(tmpdir(), 'deckhand-test-ports');

/**
 * Vitest runs two test files at once, each in a process of its own with its own picker: both could see a port free
 * and hand it out before either bound it, and a port a recreate deploy let go of for a moment (between the old
 * container's stop and the new one's start) looks free to the other process. So a port is also reserved across
 * processes for as long as the process that took it lives.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = await ports.next();
    if (reservePort(port)) return port;
  }
  throw new Error(`no port in 15000–17999 that another live test process has not reserved (see ${RESERVATIONS})`);
}

/** Reserves `port` for process `pid`: false when a live process other than it holds the port. */
export function reservePort(port: number, pid = process.pid, dir = RESERVATIONS): boolean {
  mkdirSync(dir, { recursive: true });
  return tryTakeFile(join(dir, String(port)), String(pid), (held) => !/^\d+$/.test(held) || !localProcesses.alive(Number(held)));
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
