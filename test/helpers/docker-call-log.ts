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

const FAILED_BODY = JSON.stringify({ message: 'injected by the test: this Docker call failed' });
const FAILED_ANSWER = `HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(FAILED_BODY)}\r\nConnection: close\r\n\r\n${FAILED_BODY}`;

/** Whether `bytes` hold a whole HTTP answer: headers, then its Content-Length, its last chunk, or no body at all. */
function answerComplete(bytes: Buffer): boolean {
  const text = bytes.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const headers = text.slice(0, end);
  if (/^HTTP\/1\.[01] (204|304)/.test(headers)) return true;
  const length = /\r\ncontent-length: *(\d+)/i.exec(headers);
  if (length) return bytes.length - (end + 4) >= Number(length[1]);
  return /\r\ntransfer-encoding: *chunked/i.test(headers) ? text.endsWith('0\r\n\r\n') : false;
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
  let failing: { call: RegExp; unseen: boolean } | undefined;
  let holding: { call: RegExp; query?: RegExp } | undefined;
  const held: Array<() => void> = [];
  const server: Server = createServer((client) => {
    const upstream = connect(engineSocket);
    sockets.add(client).add(upstream);
    let seen: Omit<DockerStep, 'kind'> | undefined;
    let head = '';
    /** The engine's answer goes to the client (piped), or a failure is written instead (fails). */
    let [piped, fails] = [false, false];
    /** Bytes of a held request, sent once the hold ends. */
    let waiting: Buffer[] | undefined;
    client.on('data', (chunk: Buffer) => {
      if (waiting) return void waiting.push(chunk);
      if (!seen && head.length < 4096) {
        head += chunk.toString('latin1');
        const line = /^([A-Z]+) (\S+) HTTP\/1\.[01]\r\n/.exec(head);
        if (line) {
          const [path, query = ''] = line[2]!.split('?') as [string, string?];
          seen = { call: `${line[1]} ${decodeURIComponent(path).replace(/^\/v\d+\.\d+/, '')}`, query: decodeURIComponent(query) };
          fails = failing?.call.test(seen.call) ?? false;
          record({ kind: 'request', ...seen });
          if (fails && failing!.unseen) {
            // The engine never sees it: the client is answered 500 at once.
            close();
            return;
          }
          if (holding && holding.call.test(seen.call) && (holding.query?.test(seen.query) ?? true)) {
            // Not sent to the engine until the hold ends: a slow answer, as long as the test wants.
            waiting = [chunk];
            held.push(() => {
              const bytes = waiting ?? [];
              waiting = undefined;
              upstream.pipe(client);
              piped = true;
              for (const part of bytes) upstream.write(part);
            });
            return;
          }
        }
      }
      if (!piped && !fails && (seen || head.length >= 4096)) {
        piped = true;
        upstream.pipe(client);
      }
      upstream.write(chunk);
    });
    // A failed answer replaces the engine's once it is complete (the engine may keep the connection open after it).
    let answer = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      if (!fails) return;
      answer = Buffer.concat([answer, chunk]);
      if (answerComplete(answer)) close();
    });
    const close = () => {
      if (seen && sockets.has(upstream)) record({ kind: 'answered', ...seen });
      if (fails) {
        // The engine did what was asked and answered; the client is told it failed, then the connection closes.
        fails = false;
        sockets.delete(upstream);
        upstream.destroy();
        return void client.end(FAILED_ANSWER);
      }
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
    /**
     * Calls matching `call` (`METHOD /path`) still reach the engine, which does them, but once it has answered the
     * client gets a 500 instead: a Docker call that failed after it took effect. With `unseen`, they never reach the
     * engine and the client gets the 500 at once: a call Docker refused. `undefined` ends it.
     */
    failAnswers: (call: RegExp | undefined, options: { unseen?: boolean } = {}) => void (failing = call && { call, unseen: options.unseen ?? false }),
    /**
     * Requests matching `call` (`METHOD /path`), and `query` when given, wait here, unsent to the engine, until
     * `holdRequests(undefined)` sends every one held, in order: a Docker that is slow to answer them.
     */
    holdRequests: (call: RegExp | undefined, query?: RegExp) => {
      holding = call && { call, query };
      if (!call) for (const send of held.splice(0)) send();
    },
    /** How many requests the hold keeps back now. */
    heldCount: () => held.length,
    /** The calls sent (in order), as `METHOD /path`. */
    sent: () => steps.filter((s) => s.kind === 'request').map((s) => s.call),
    clear: () => void (steps.length = 0),
    stop: async () => {
      holding = undefined;
      held.length = 0;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type DockerCallLog = Awaited<ReturnType<typeof startDockerCallLog>>;
