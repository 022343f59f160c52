import { readFileSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../src/adapters/docker/docker-runtime.js';
import { Dockerode } from '../../src/adapters/docker/dockerode.js';
import { HostPorts } from '../../src/adapters/docker/host-ports.js';
import { loadEnv } from '../../src/config/env.js';
import { twoFreePorts } from '../helpers/ports.js';

const [ephemeralFrom, ephemeralTo] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number) as [number, number];

const held: Array<Server | Socket> = [];
afterEach(() => {
  for (const h of held.splice(0)) {
    if ('destroy' in h) h.destroy();
    else h.close();
  }
});

const listenOn = (port: number) =>
  new Promise<Server>((resolve, reject) => {
    const server = createServer((socket) => held.push(socket));
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });

/** Two consecutive ports below the ranges the suites use, both bindable now. */
const twoFree = () => twoFreePorts(9100, 9900);

describe('ports for new containers', () => {
  it('come from 10000–14999, outside the kernel ephemeral range, never twice within a minute', async () => {
    const runtime = new DockerRuntime(undefined, {});
    const got = [];
    for (let i = 0; i < 60; i += 1) got.push(await runtime.freePort());
    expect(new Set(got).size).toBe(60);
    for (const port of got) {
      expect(port).toBeGreaterThanOrEqual(10000);
      expect(port).toBeLessThanOrEqual(14999);
      expect(port < ephemeralFrom || port > ephemeralTo).toBe(true);
    }
  });

  it('an engine that cannot be asked for its labelled ports leaves the pick unprotected, never stuck or failed', async () => {
    // The labelled-port listing fails (no engine on that socket): ports are still handed out from the range, at once;
    // the deploy's own next call to that engine (the create) is what fails, and reports it.
    const runtime = new DockerRuntime(new Dockerode({ socketPath: '/nonexistent/deckhand-no-engine.sock' }), { timeoutMs: 2000 });
    const got = [await runtime.freePort(), await runtime.freePort()];
    expect(new Set(got).size).toBe(2);
    for (const port of got) expect(port >= 10000 && port <= 14999).toBe(true);
  });

  it('skip a port a listener holds; none left is a clear error', async () => {
    const base = await twoFree();
    held.push(await listenOn(base));
    for (let i = 0; i < 5; i += 1) {
      // the pick starts at a random place in the range: wherever it starts, only the second port is free
      expect(await new HostPorts({ from: base, to: base + 1 }).next()).toBe(base + 1);
    }
    const ports = new HostPorts({ from: base, to: base + 1 });
    expect(await ports.next()).toBe(base + 1);
    await expect(ports.next()).rejects.toThrow(new RegExp(`No free port left for a new container in ${base}–${base + 1}.*DECKHAND_PORT_RANGE`));
  });

  it('skip a port an outgoing connection holds as its local port (the app could not bind it)', async () => {
    const target = await listenOn(0);
    held.push(target);
    const { port } = target.address() as { port: number };
    // a plain outgoing connection, as a health probe or a proxy's upstream connection makes: its local port comes
    // from the ephemeral range, without SO_REUSEADDR, and an app's bind on that port fails while it lives
    const outgoing = await new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
      socket.once('error', reject);
    });
    held.push(outgoing);
    const local = outgoing.localPort!;
    await expect(new HostPorts({ from: local, to: local }).next()).rejects.toThrow(/No free port left/);
  });

  it('DECKHAND_PORT_RANGE sets the range; a malformed one is named', () => {
    expect(loadEnv({}).DECKHAND_PORT_RANGE).toBeUndefined();
    expect(loadEnv({ DECKHAND_PORT_RANGE: '20000-20999' }).DECKHAND_PORT_RANGE).toEqual({ from: 20000, to: 20999 });
    for (const bad of ['20000', '900-2000', '3000-2000', '10000-70000', 'a-b']) {
      expect(() => loadEnv({ DECKHAND_PORT_RANGE: bad })).toThrow(/DECKHAND_PORT_RANGE: .* is not a port range like 10000-14999/);
    }
  });
});
