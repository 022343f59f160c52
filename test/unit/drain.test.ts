import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openConnectionsTo } from '../../src/adapters/proxy/open-connections.js';
import type { AppSpec } from '../../src/domain/apps.js';
import { drainWeb } from '../../src/domain/deploy/drain.js';
import type { TrafficSwitch } from '../../src/domain/ports.js';
import type { Clock } from '../../src/domain/clock.js';
import { manualClock } from '../helpers/manual-clock.js';


const app = (stopTimeoutMs?: number) => ({ name: 'web', run: { port: 8080, ...(stopTimeoutMs ? { stopTimeoutMs } : {}) } }) as unknown as AppSpec;

/** A proxy whose upstream `port` has `open(t)` connections at clock time t. */
function proxy(clock: Clock, open: (t: number) => number): TrafficSwitch {
  return { mode: 'proxy', point: async () => undefined, openConnections: async () => open(clock.now().getTime()) };
}

describe('drainWeb', () => {
  it('waits the drain, and no more when nothing is open then', async () => {
    const clock = manualClock();
    const said: string[] = [];
    await drainWeb({ traffic: proxy(clock, () => 0), clock, settings: { drainMs: 2000 } }, app(), [12000], 'the previous version', (m) => said.push(m));
    expect(clock.slept).toEqual([2000]);
    expect(said).toEqual([]);
  });

  it('then waits, every 50 ms, until the last open request is over', async () => {
    const clock = manualClock();
    const said: string[] = [];
    await drainWeb({ traffic: proxy(clock, (t) => (t < 3100 ? 2 : 0)), clock, settings: { drainMs: 2000 } }, app(), [12000], 'the previous version', (m) => said.push(m));
    expect(clock.now().getTime()).toBe(3100);
    expect(clock.slept.slice(1).every((ms) => ms === 50)).toBe(true);
    expect(said).toEqual(['2 requests still open on the previous version after the drain: waiting for them (up to 30s)']);
  });

  it("gives up at the app's stop timeout, and says so", async () => {
    const clock = manualClock();
    const said: string[] = [];
    await drainWeb({ traffic: proxy(clock, () => 1), clock, settings: { drainMs: 0 } }, app(5000), [12000], 'the new version', (m) => said.push(m));
    expect(clock.now().getTime()).toBe(5000);
    expect(said).toEqual(['1 request still open on the new version after the drain: waiting for it (up to 5s)', '1 request still open after 5s: stopping the new version anyway']);
  });

  it('only waits the drain when the proxy cannot count (recreate, or a proxy that cannot tell)', async () => {
    const clock = manualClock();
    const traffic: TrafficSwitch = { mode: 'recreate', point: async () => undefined };
    await drainWeb({ traffic, clock, settings: { drainMs: 1000 } }, app(), [12000], 'the previous version', () => undefined);
    expect(clock.slept).toEqual([1000]);
  });
});

describe('openConnectionsTo', () => {
  it('counts the connections open to a port on 127.0.0.1, from the kernel, and none once they close', async () => {
    const server = createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const clients: Socket[] = [];
    try {
      expect(await openConnectionsTo(port)).toBe(0);
      for (let i = 0; i < 2; i += 1) {
        const socket = connect(port, '127.0.0.1');
        await new Promise((resolve) => socket.once('connect', resolve));
        clients.push(socket);
      }
      // The server side of each connection has `port` as its local port, not its remote one: two, not four.
      expect(await openConnectionsTo(port)).toBe(2);
      for (const socket of clients) socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await openConnectionsTo(port)).toBe(0);
    } finally {
      for (const socket of clients) socket.destroy();
      server.close();
    }
  });

  it('reads IPv6 loopback and v4-mapped loopback, and leaves other hosts and closing states out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deckhand-proc-'));
    try {
      const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
      const row = (remote: string, state: string) => `   0: 00000000000000000000000001000000:9C40 ${remote} ${state} 00000000:00000000 00:00000000 00000000     0        0 1 1\n`;
      const v6 = join(dir, 'tcp6');
      writeFileSync(
        v6,
        header +
          row('00000000000000000000000001000000:2EE0', '01') + // ::1:12000, established
          row('0000000000000000FFFF00000100007F:2EE0', '02') + // ::ffff:127.0.0.1:12000, connecting
          row('0000000000000000FFFF00000A00000A:2EE0', '01') + // ::ffff:10.0.0.10:12000: another host
          row('00000000000000000000000001000000:2EE0', '08') + // CLOSE_WAIT
          row('00000000000000000000000001000000:2EE1', '01'), // another port
      );
      const v4 = join(dir, 'tcp');
      writeFileSync(v4, header + '   0: 0100007F:9C40 0100007F:2EE0 01 00000000:00000000 00:00000000 00000000     0        0 1 1\n');
      expect(await openConnectionsTo(12000, [v4, v6, join(dir, 'missing')])).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
