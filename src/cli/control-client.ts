/**
 * The CLI's thin client: hands the command to a running bot over its control socket (control-protocol.ts), so the
 * CLI pays neither the imports of Docker, git and the store nor PGlite's start-up. Node built-ins only.
 *
 * Runs locally (returns undefined) whenever the bot did not take the command: `--local` or DECKHAND_CLI_LOCAL=1,
 * `help`, no socket (or one this user does not own), a refused connection, no hello within the bound, or a refusal
 * (another apps file, another environment, other code). Once the bot took the command it never falls back: the
 * command may have acted.
 */
import { lstatSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import { CONTROL_VERSION, type ControlRequest, DELEGABLE, buildOf, configHashOf, configPathOf, controlSocketPath, engineOf, osUser, readLines, scanArgv } from './control-protocol.js';

/** How long the CLI waits for the bot's hello, and then for its decision, before it runs the command itself. */
const DEFAULT_WAIT_MS = 300;

export interface ClientIo {
  out(text: string): void;
  err(text: string): void;
  /** Asks on the terminal; undefined when there is none. */
  confirm(question: string): Promise<boolean | undefined>;
  /** Calls `handler` on each Ctrl-C while the bot runs the command; returns the un-register. */
  onInterrupt(handler: () => void): () => void;
}

type Message = Record<string, unknown> & { type?: unknown };

/** The exit code of the command the bot ran, or undefined: run it locally. */
export async function delegateToBot(argv: string[], env: NodeJS.ProcessEnv, io: ClientIo, tty: boolean): Promise<number | undefined> {
  const scan = scanArgv(argv);
  if (scan.local || env.DECKHAND_CLI_LOCAL === '1' || scan.help || !scan.command || !DELEGABLE.has(scan.command)) return undefined;
  const path = controlSocketPath(env.DECKHAND_DATA_DIR || '.deckhand');
  if (!ownSocket(path)) return undefined;
  const configPath = configPathOf(scan.config, env);
  const configHash = configHashOf(configPath);
  if (!configHash) return undefined;
  const request: ControlRequest = { type: 'run', version: CONTROL_VERSION, argv, actor: `cli:${osUser()}`, configPath, configHash, engine: engineOf(env), build: buildOf(), json: argv.includes('--json'), tty };
  const waitMs = Number(env.DECKHAND_CLI_BOT_WAIT_MS) > 0 ? Number(env.DECKHAND_CLI_BOT_WAIT_MS) : DEFAULT_WAIT_MS;
  const socket = connect(path);
  const lines = lineReader(socket);
  const hello = await lines.next(waitMs);
  if (hello?.type !== 'hello' || hello.version !== CONTROL_VERSION) return abandon(socket);
  socket.write(`${JSON.stringify(request)}\n`);
  const decision = await lines.next(waitMs);
  if (decision?.type !== 'accepted') return abandon(socket);
  socket.write(`${JSON.stringify({ type: 'go' })}\n`);
  return follow(socket, lines, io, typeof decision.app === 'string' ? decision.app : undefined);
}

/** The socket exists, is a socket and belongs to this user (0600 in the data dir: only its owner gets this far). */
function ownSocket(path: string): boolean {
  try {
    const stat = lstatSync(path);
    return stat.isSocket() && (process.getuid === undefined || stat.uid === process.getuid());
  } catch {
    return false;
  }
}

function abandon(socket: Socket): undefined {
  socket.destroy();
  return undefined;
}

/** Streams the command's output, answers its questions, passes Ctrl-C on; resolves its exit code. */
async function follow(socket: Socket, lines: LineReader, io: ClientIo, app: string | undefined): Promise<number> {
  const send = (message: object) => socket.writable && socket.write(`${JSON.stringify(message)}\n`);
  const seeStatus = `see deckhand status${app ? ` ${app}` : ''}`;
  let interrupts = 0;
  let detach: (code: number) => void = () => undefined;
  const detached = new Promise<number>((resolve) => (detach = resolve));
  const stopListening = io.onInterrupt(() => {
    interrupts += 1;
    if (interrupts === 1) {
      send({ type: 'interrupt' });
      io.err('deckhand: Ctrl-C: asked the bot to stop this command (Ctrl-C again to stop waiting).');
    } else {
      io.err(`deckhand: stopped waiting; the command may still be running in the bot: ${seeStatus}`);
      detach(130);
    }
  });
  try {
    const finished = (async () => {
      for (;;) {
        const message = await lines.next();
        if (!message) {
          io.err(`deckhand: the bot stopped answering; the command may still be running: ${seeStatus}`);
          return 1;
        }
        if (message.type === 'out' && typeof message.text === 'string') io.out(message.text);
        else if (message.type === 'err' && typeof message.text === 'string') io.err(message.text);
        else if (message.type === 'confirm' && typeof message.question === 'string') {
          const id = message.id;
          void io.confirm(message.question).then(
            (answer) => send({ type: 'answer', id, answer: answer ?? null }),
            () => send({ type: 'answer', id, answer: null }),
          );
        } else if (message.type === 'exit' && typeof message.code === 'number') {
          // Ctrl-C while delegated ends like a local Ctrl-C: 130, whatever the bot's command returned.
          return interrupts > 0 ? 130 : message.code;
        }
      }
    })();
    return await Promise.race([finished, detached]);
  } finally {
    stopListening();
    socket.destroy();
  }
}

interface LineReader {
  /** The next JSON line; undefined when the connection ended, the line is not JSON, or `timeoutMs` passed. */
  next(timeoutMs?: number): Promise<Message | undefined>;
}

function lineReader(socket: Socket): LineReader {
  const queue: Array<Message | undefined> = [];
  let waiting: ((message: Message | undefined) => void) | undefined;
  let ended = false;
  const push = (message: Message | undefined) => {
    if (waiting) {
      const resolve = waiting;
      waiting = undefined;
      resolve(message);
    } else queue.push(message);
  };
  readLines(socket, (line) => {
    try {
      const value: unknown = JSON.parse(line);
      push(value && typeof value === 'object' ? (value as Message) : undefined);
    } catch {
      push(undefined);
    }
  });
  const end = () => {
    if (ended) return;
    ended = true;
    push(undefined);
  };
  socket.on('error', end);
  socket.on('close', end);
  return {
    next: (timeoutMs) => {
      if (queue.length > 0) return Promise.resolve(queue.shift());
      if (ended) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
          waiting = undefined;
          resolve(undefined);
        }, timeoutMs);
        waiting = (message) => {
          clearTimeout(timer);
          resolve(message);
        };
      });
    },
  };
}
