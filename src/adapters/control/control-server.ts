import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { dirname } from 'node:path';
import type { ControlIdentity } from '../../cli/control-protocol.js';
import type { Services } from '../../compose.js';
import { serveSession } from './control-session.js';

export interface ControlServer {
  path: string;
  /** Resolves when no delegated command runs. */
  idle(): Promise<void>;
  /** Stops taking commands: no new connection, the socket file removed. Commands running go on. */
  stop(): void;
  /** stop(), and ends the connections still open (their CLIs say the bot stopped answering). */
  close(): Promise<void>;
}

export interface ControlOptions {
  services: Services;
  /** `controlSocketPath(DECKHAND_DATA_DIR)`. */
  path: string;
  identity: ControlIdentity;
  log(line: string): void;
}

type Existing = 'none' | 'stale' | 'live' | 'not-ours';

/** What is at `path`: nothing, a socket nobody listens on (a dead bot's), a live one, or something not ours to remove. */
function existing(path: string): Promise<Existing> {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return Promise.resolve('none');
  }
  if (!stat.isSocket() || (process.getuid !== undefined && stat.uid !== process.getuid())) return Promise.resolve('not-ours');
  return new Promise((resolve) => {
    const probe = connect(path);
    const done = (state: Existing) => {
      clearTimeout(timer);
      probe.destroy();
      resolve(state);
    };
    // Something that accepts the connection is alive, even if it does not speak: never taken from it.
    const timer = setTimeout(() => done('live'), 2_000);
    probe.once('connect', () => done('live'));
    probe.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED' ? 'stale' : 'live'));
  });
}

/** Binds `server` to `path` with mode 0600 from the first moment (the umask covers the bind, chmod makes sure). */
function listenPrivately(server: Server, path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const umask = process.umask(0o177);
    try {
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(umask);
    }
  }).then(() => chmodSync(path, 0o600));
}

/**
 * Serves the CLI's control socket (control-protocol.ts) with the bot's services. A socket left by a dead bot is
 * removed; one a live process answers on, or a file that is not a socket of this user, is left alone and this bot
 * serves no control socket (the CLI then runs commands itself). Returns undefined in that case.
 */
export async function startControlServer(options: ControlOptions): Promise<ControlServer | undefined> {
  const { path, log } = options;
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const dirStat = lstatSync(dir);
  if (!dirStat.isDirectory() || (process.getuid !== undefined && dirStat.uid !== process.getuid())) {
    log(`control: ${dir} is not a directory of this user; the CLI will run commands itself`);
    return undefined;
  }
  const found = await existing(path);
  if (found === 'live' || found === 'not-ours') {
    log(`control: ${path} ${found === 'live' ? 'is served by another process' : 'exists and is not a socket of this user'}; the CLI will run commands itself`);
    return undefined;
  }
  if (found === 'stale') unlinkSync(path);
  const runs = new Set<Promise<void>>();
  const sockets = new Set<Socket>();
  const running = (run: Promise<void>) => {
    runs.add(run);
    void run.finally(() => runs.delete(run));
  };
  const server = createServer((socket) => {
    sockets.add(socket);
    void serveSession(socket, { services: options.services, identity: options.identity, log, running }).finally(() => sockets.delete(socket));
  });
  try {
    await listenPrivately(server, path);
  } catch (error) {
    // Another bot bound it between our look and our bind: it serves; we do not.
    log(`control: cannot serve ${path}: ${(error as Error).message}; the CLI will run commands itself`);
    return undefined;
  }
  const bound = lstatSync(path).ino;
  let closed: Promise<void> | undefined;
  const stop = () => {
    closed ??= new Promise<void>((resolve) => server.close(() => resolve()));
    // Only the socket we bound: a later bot's socket at the same path is not ours to remove.
    try {
      if (lstatSync(path).ino === bound) unlinkSync(path);
    } catch {
      /* already gone */
    }
  };
  return {
    path,
    idle: async () => {
      while (runs.size > 0) await Promise.all([...runs]);
    },
    stop,
    close: async () => {
      stop();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
