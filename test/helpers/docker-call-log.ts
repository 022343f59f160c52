import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { dockerSocket } from './infra.js';

/** One step seen on the engine's socket: a request sent, or its answer over (the engine closed the connection). */
export interface DockerStep {
  kind: 'request' | 'answered';
  /** `POST /containers/create`, `GET /images/sha256:…/json`: the method and the path without version or query. */
  call: string;
  /** The query string, when there was one (`all=1&filters=…`). */
  query: string;
}

/**
 * A Unix socket in front of the REAL Docker engine: every byte passes through untouched, and each request's method
 * and path are recorded when it is sent and again when its answer is over. deckhand's Docker client opens one
 * connection per request (no keep-alive), so the engine closing the connection is the end of the answer. `onStep`
 * lets a test put these steps in one order with other events (Slack answers, first 2xx). `docker` is a dockerode
 * client on this socket, for the services under test.
 */
export async function startDockerCallLog(engineSocket = dockerSocket) {
  const dir = mkdtempSync(join(tmpdir(), 'e-docker-log-'));
  const socketPath = join(dir, 'docker.sock');
  const steps: DockerStep[] = [];
  const listeners: Array<(step: DockerStep) => void> = [];
  const record = (step: DockerStep) => {
    steps.push(step);
    for (const listener of listeners) listener(step);
  };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(engineSocket);
    sockets.add(client).add(upstream);
    let seen: Omit<DockerStep, 'kind'> | undefined;
    let head = '';
    client.on('data', (chunk: Buffer) => {
      if (!seen && head.length < 4096) {
        head += chunk.toString('latin1');
        const line = /^([A-Z]+) (\S+) HTTP\/1\.[01]\r\n/.exec(head);
        if (line) {
          const [path, query = ''] = line[2]!.split('?') as [string, string?];
          seen = { call: `${line[1]} ${decodeURIComponent(path).replace(/^\/v\d+\.\d+/, '')}`, query: decodeURIComponent(query) };
          record({ kind: 'request', ...seen });
        }
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    const close = () => {
      if (seen && sockets.has(upstream)) record({ kind: 'answered', ...seen });
      sockets.delete(client);
      sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    upstream.on('close', close);
    client.on('close', close);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    steps,
    docker: new Docker({ socketPath }),
    onStep: (listener: (step: DockerStep) => void) => void listeners.push(listener),
    /** The calls sent (in order), as `METHOD /path`. */
    sent: () => steps.filter((s) => s.kind === 'request').map((s) => s.call),
    clear: () => void (steps.length = 0),
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type DockerCallLog = Awaited<ReturnType<typeof startDockerCallLog>>;
