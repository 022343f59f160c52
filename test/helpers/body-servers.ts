import { type Server, createServer } from 'node:http';
import { freePort } from './ports.js';

/**
 * Real HTTP servers on 127.0.0.1, each answering one fixed body (a version of an app, as Caddy sees it). `crash`
 * ends one at once, its open connections included; `closeAll` ends every one still up (for afterAll).
 */
export function bodyServers() {
  const servers: Server[] = [];
  return {
    async serve(body: string, port?: number): Promise<{ port: number; server: Server }> {
      const listen = port ?? (await freePort());
      const server = createServer((_, res) => res.end(body));
      await new Promise<void>((resolve) => server.listen(listen, '127.0.0.1', resolve));
      servers.push(server);
      return { port: listen, server };
    },
    crash(server: Server): void {
      server.closeAllConnections();
      server.close();
    },
    async closeAll(): Promise<void> {
      for (const server of servers) server.closeAllConnections();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}
