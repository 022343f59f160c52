import { Agent, request } from 'node:http';
import { inspect } from 'node:util';
import type Docker from 'dockerode';
import type { ProgressMessage } from './log-frames.js';
import { destroy, readProgress } from './progress-stream.js';
import { DeckhandError } from '../../domain/errors.js';
import { dockerDiskFull } from './docker-disk.js';

/** Socket-level failures: the engine is stopped, restarting, or its socket is gone. Not an answer from Docker. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTCONN', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_SOCKET_CLOSED', 'ABORT_ERR', 'ERR_STREAM_PREMATURE_CLOSE']);

export function isConnectionError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  if (error instanceof DeckhandError) return error.code === 'docker_unavailable';
  const { code, name, message, statusCode } = error as { code?: string; name?: string; message?: string; statusCode?: number };
  if (statusCode !== undefined) return false;
  if (code && CONNECTION_CODES.has(code)) return true;
  return name === 'AbortError' || /^(socket hang up|aborted)$/.test(message ?? '');
}

/** The HTTP status of Docker's answer (404, 409, 500 ...); undefined for anything that is not an answer from Docker. */
export const statusOf = (error: unknown): number | undefined => (error && typeof error === 'object' ? (error as { statusCode?: number }).statusCode : undefined);

const seconds = (ms: number) => `${Math.round(ms / 100) / 10}s`;

/** The one error every runtime call gives when the engine cannot be reached: a code and a sentence. */
export function dockerUnavailable(where: string, what: string, cause?: unknown): DeckhandError {
  const detail = cause instanceof Error && !(cause instanceof DeckhandError) ? ` (${cause.message})` : '';
  return new DeckhandError('docker_unavailable', `Docker is not reachable at ${where}; could not ${what}${detail}.`, { what }, { cause });
}

/**
 * A one-connection-per-request agent that prints as one line. docker-modem writes each request's options to its
 * `debug` log, and builds that text with util.inspect(options, { showHidden: true, depth: null }) even when the log
 * is off. The options hold the agent, and through it every request and socket in flight: some 24,000 characters and
 * 0.5 ms of CPU per Docker call in a quiet process, more with other calls in flight, on every deploy's critical path
 * (a profile of a Confirm click found it; `test/integration/docker-calls-inspect.test.ts`).
 */
function quietAgent(): Agent {
  const agent = new Agent({ keepAlive: false });
  Object.defineProperty(agent, inspect.custom, { value: () => 'Agent { keepAlive: false }' });
  return agent;
}

/**
 * Bounded Docker calls. Every request gets an AbortSignal (dockerode passes it to the HTTP request, so a timed-out
 * request is destroyed, not left holding the socket and the process open) and a deadline.
 */
export class DockerCalls {
  readonly where: string;

  constructor(
    readonly docker: Docker,
    readonly timeoutMs: number,
  ) {
    const modem = docker.modem as { socketPath?: unknown; host?: string; agent?: unknown };
    this.where = typeof modem.socketPath === 'string' ? modem.socketPath : (modem.host ?? 'the configured Docker host');
    // One connection per request on the local socket: an engine that is shutting down has already removed its
    // socket, but still answers on connections kept alive from before (Node's default agent keeps them), and would
    // report the containers it is stopping as merely exited instead of Docker being unavailable.
    if (typeof modem.socketPath === 'string' && modem.agent === undefined) modem.agent = quietAgent();
  }

  /**
   * Runs one request with a deadline of `timeoutMs` (plus `extraMs` for calls that legitimately wait, such as a
   * stop's grace period). A timeout or a socket failure becomes `docker_unavailable`; Docker's own answers (404,
   * 409, ...) pass through untouched.
   */
  async call<T>(what: string, run: (signal: AbortSignal) => Promise<T>, extraMs = 0): Promise<T> {
    const controller = new AbortController();
    const limit = this.timeoutMs + extraMs;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new DeckhandError('docker_unavailable', `Docker at ${this.where} did not answer within ${seconds(limit)}; could not ${what}.`, { what }));
      }, limit);
    });
    try {
      return await Promise.race([run(controller.signal), deadline]);
    } catch (error) {
      if (isConnectionError(error)) throw error instanceof DeckhandError ? error : dockerUnavailable(this.where, what, error);
      throw (statusOf(error) !== undefined && dockerDiskFull(error)) || error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * True when the engine answers a ping within the bound, on a new connection: a kept-alive one is still answered
   * by an engine that is shutting down (its socket already gone), which would make a dying engine look alive.
   */
  async reachable(limitMs = this.timeoutMs): Promise<boolean> {
    const socketPath = (this.docker.modem as { socketPath?: unknown }).socketPath;
    const ping =
      typeof socketPath === 'string'
        ? (signal: AbortSignal) => freshPing(socketPath, signal)
        : (abortSignal: AbortSignal) => (this.docker.ping as unknown as (options: { abortSignal: AbortSignal }) => Promise<unknown>).call(this.docker, { abortSignal });
    return this.call('ping', ping, limitMs - this.timeoutMs).then(
      () => true,
      () => false,
    );
  }

  /**
   * Watches a long stream (build, pull, push): these may run for minutes and stay silent through a long step, so
   * they get no overall deadline. Instead, whenever the stream has been idle for half the bound, the engine is
   * pinged with the other half as its limit; when the ping fails (refused at once, or no answer in time) `onDown`
   * is called once. A hung engine is so detected within about the bound; a stopped one at once (its socket breaks).
   */
  watch(onDown: (error: DeckhandError) => void, what: string): { touch(): void; stop(): void } {
    let last = Date.now();
    let stopped = false;
    let pinging = false;
    const interval = Math.max(100, Math.floor(this.timeoutMs / 2));
    const timer = setInterval(() => {
      if (stopped || pinging || Date.now() - last < interval) return;
      pinging = true;
      void this.reachable(interval).then((up) => {
        pinging = false;
        if (up || stopped) return;
        stopped = true;
        clearInterval(timer);
        onDown(dockerUnavailable(this.where, what));
      });
    }, Math.max(50, Math.floor(interval / 4)));
    return {
      touch: () => {
        last = Date.now();
      },
      stop: () => {
        stopped = true;
        clearInterval(timer);
      },
    };
  }

  /**
   * Opens a progress stream and reads it to its end, watched: while it is silent the engine is pinged, and when the
   * engine stops answering the request and the stream are torn down with `docker_unavailable`. Resolves the
   * failure Docker reported in the stream, if any; when the engine cannot be reached afterwards, that failure was
   * the engine going away and `docker_unavailable` is thrown instead.
   */
  async stream(what: string, open: (signal: AbortSignal) => Promise<NodeJS.ReadableStream>, onMessage: (message: ProgressMessage) => void, cancel?: AbortSignal): Promise<string | undefined> {
    const controller = new AbortController();
    let down: DeckhandError | undefined;
    let reader: ReturnType<typeof readProgress> | undefined;
    const watch = this.watch((error) => {
      down = error;
      controller.abort();
      reader?.abort(error);
    }, what);
    // Cancelling closes the request: the engine stops the build when its client goes away.
    const onCancel = () => {
      controller.abort();
      reader?.abort(new DeckhandError('cancelled', `Cancelled: ${what}.`));
    };
    if (cancel?.aborted) onCancel();
    cancel?.addEventListener('abort', onCancel, { once: true });
    let failure: string | undefined;
    try {
      const stream = await open(controller.signal);
      if (down) {
        destroy(stream);
        throw down;
      }
      reader = readProgress(stream, (message) => {
        watch.touch();
        if (message.error || message.errorDetail) failure = message.errorDetail?.message ?? message.error;
        onMessage(message);
      });
      await reader.done;
    } catch (error) {
      if (down) throw down;
      if (isConnectionError(error)) throw error instanceof DeckhandError ? error : dockerUnavailable(this.where, what, error);
      throw (statusOf(error) !== undefined && dockerDiskFull(error)) || error;
    } finally {
      watch.stop();
      cancel?.removeEventListener('abort', onCancel);
    }
    if (failure !== undefined && !(await this.reachable())) throw dockerUnavailable(this.where, what);
    return failure;
  }
}

function freshPing(socketPath: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', agent: false, signal }, (res) => {
      res.resume();
      res.on('end', () => ((res.statusCode ?? 0) < 500 ? resolve() : reject(new Error(`ping answered HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
