import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostPorts } from '../../src/adapters/docker/host-ports.js';

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
  const file = join(dir, String(port));
  const unique = `${pid}.${Math.random().toString(36).slice(2)}`;
  // Written aside, then linked: a reservation is never seen empty.
  const mine = join(dir, `.${port}.${unique}`);
  writeFileSync(mine, String(pid));
  try {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        linkSync(mine, file);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readOr(file);
      if (holder === String(pid)) return true;
      if (holder === '') continue; // released meanwhile: try again
      if (alive(Number(holder))) return false;
      // A dead process's reservation: moved aside, and removed only if it is still that one (else put back).
      const aside = join(dir, `.${port}.stale.${unique}`);
      try {
        renameSync(file, aside);
      } catch {
        continue; // another process moved it first
      }
      if (readOr(aside) !== holder) linkOr(aside, file);
      rmSync(aside, { force: true });
    }
    return false;
  } finally {
    rmSync(mine, { force: true });
  }
}

function linkOr(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    // the slot was taken meanwhile: that reservation stands
  }
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
