import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CaddyAdmin } from '../../src/adapters/proxy/caddy-admin.js';

/** A Unix socket server standing in for Caddy's admin endpoint: `onConnection` decides what each connection gets. */
async function adminSocket(onConnection: (socket: Socket, n: number) => void): Promise<{ path: string; connections: () => number; close: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'deckhand-admin-'));
  const path = join(dir, 'admin.sock');
  let n = 0;
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    onConnection(socket, (n += 1));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    connections: () => n,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('CaddyAdmin', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  it('a call Caddy lets time out is not asked again: one connection, and the sentence says how long it waited', async () => {
    const admin = await adminSocket(() => undefined); // accepts, never answers: a hung Caddy
    close = admin.close;
    const failure = await new CaddyAdmin(`unix/${admin.path}`, 200).call('GET', '/config/').catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'traffic_switch_failed', message: `Caddy's admin API at unix/${admin.path} did not answer within 0.2s` });
    expect(admin.connections()).toBe(1);
  });

  it('a call that met a closed connection (Caddy restarting its endpoint) is asked once more', async () => {
    const admin = await adminSocket((socket, n) => {
      if (n === 1) return void socket.destroy();
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}'));
    });
    close = admin.close;
    expect(await new CaddyAdmin(`unix/${admin.path}`, 2000).call('GET', '/config/')).toEqual({ status: 200, body: '{}' });
    expect(admin.connections()).toBe(2);
  });
});
