import { type Server, type Socket, connect, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/db/client.js';
import { isDeckhandError } from '../../src/domain/errors.js';
import { createScratchDatabase } from '../helpers/db.js';
import { havePostgres } from '../helpers/infra.js';

const enabled = await havePostgres();

/**
 * A TCP proxy to the real Postgres that lets a connection set up (startup, authentication, ReadyForQuery) and then
 * drops it, both ways, at the first message the client sends after that: a database that goes away in the moment a
 * connection becomes ready.
 */
function dropAfterReady(target: URL): Promise<{ port: number; dropped: () => number; close: () => Promise<void> }> {
  let dropped = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    let ready = false;
    let pending = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      if (!ready) {
        // Server messages: a type byte, then a length that counts itself. 'Z' is ReadyForQuery.
        pending = Buffer.concat([pending, chunk]);
        let at = 0;
        while (pending.length - at >= 5) {
          const length = pending.readInt32BE(at + 1);
          if (pending.length - at < 1 + length) break;
          if (pending[at] === 0x5a) ready = true;
          at += 1 + length;
        }
        pending = pending.subarray(at);
      }
      client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => {
      if (!ready) return void upstream.write(chunk);
      dropped += 1;
      client.destroy();
      upstream.destroy();
    });
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as { port: number }).port,
        dropped: () => dropped,
        close: () => {
          for (const socket of sockets) socket.destroy();
          return new Promise<void>((done) => server.close(() => done()));
        },
      }),
    ),
  );
}

/**
 * postgres.js asks for the server's array types on every new connection, in a promise nothing awaits: when the
 * database went away in that moment, the rejection was unhandled, and an unhandled rejection ends a Node process (the
 * bot). deckhand's clients ask for no array types, so the failure reaches only the query that was waiting, as
 * database_unavailable.
 */
describe.skipIf(!enabled)('the database drops a connection the moment it is ready', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let proxy: Awaited<ReturnType<typeof dropAfterReady>>;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);

  beforeAll(async () => {
    scratch = await createScratchDatabase('deckhand_drop');
    proxy = await dropAfterReady(new URL(scratch.url));
    process.on('unhandledRejection', onUnhandled);
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await proxy?.close();
    await scratch?.drop();
  });

  it('opening fails as database_unavailable, and nothing is left as an unhandled rejection', async () => {
    const url = new URL(scratch.url);
    url.port = String(proxy.port);
    const error = await openDatabase({ url: url.toString(), dataDir: 'unused' }).then(
      async (database) => {
        await database.close();
        return undefined;
      },
      (thrown: unknown) => thrown,
    );
    expect(proxy.dropped()).toBeGreaterThan(0);
    expect(isDeckhandError(error, 'database_unavailable'), String(error)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(unhandled).toEqual([]);
  });
});
