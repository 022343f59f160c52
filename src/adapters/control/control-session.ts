import { AsyncLocalStorage } from 'node:async_hooks';
import type { Socket } from 'node:net';
import { runCli } from '../../cli.js';
import type { ControlIdentity, ControlRequest } from '../../cli/control-protocol.js';
import { CONTROL_VERSION, readLines } from '../../cli/control-protocol.js';
import type { Services } from '../../compose.js';
import { type DeployEvent, DeployEventBus, type DeployEventListener } from '../../domain/deploy/events.js';
import { asDeckhandError } from '../../domain/errors.js';
import { type Decision, decide, parseRequest } from './control-request.js';

/** A line longer than this from the CLI is refused (the real client's request is a few hundred bytes). */
const MAX_LINE = 64 * 1024;
/** How long a connection may take to send its request and its go; a silent one is closed, nothing run. */
const HANDSHAKE_MS = 10_000;

/** Which delegated command an event was emitted for: events carry no caller, their async context does. */
const caller = new AsyncLocalStorage<symbol>();

/**
 * The bot's bus as one delegated command sees it: only the events of the deploys this command started (emitted in
 * its async context, or of a deployment already seen there), as if it ran alone in a CLI process.
 */
class CommandBus extends DeployEventBus {
  readonly mine = new Map<number, { app: string; done: boolean }>();

  constructor(
    private readonly inner: DeployEventBus,
    private readonly token: symbol,
    private readonly onNew: (event: DeployEvent) => void,
  ) {
    super();
  }

  private owns(event: DeployEvent): boolean {
    if (!this.mine.has(event.deploymentId)) {
      if (caller.getStore() !== this.token) return false;
      this.mine.set(event.deploymentId, { app: event.app, done: false });
      this.onNew(event);
    }
    if (event.type === 'result') this.mine.get(event.deploymentId)!.done = true;
    return true;
  }

  /** Tracks this command's deploys from its start (for Ctrl-C), whether or not the command subscribes. */
  track(): () => void {
    return this.inner.subscribe((event) => void this.owns(event));
  }

  override subscribe(listener: DeployEventListener): () => void {
    return this.inner.subscribe((event) => {
      if (this.owns(event)) listener(event);
    });
  }

  override emit(event: DeployEvent): void {
    this.inner.emit(event);
  }
}

export interface SessionDeps {
  services: Services;
  identity: ControlIdentity;
  log(line: string): void;
  /** Called with each command's run (settles when its exit code was sent): the bot's shutdown waits for these only. */
  running(run: Promise<void>): void;
}

/**
 * One CLI connection: hello, the request (validated field by field), the decision, and after the CLI's `go` the
 * command itself through the same runCli as a local run, with the bot's warm services (never closed here), an Io
 * that streams each line back, a confirm() the CLI answers on its terminal, and Ctrl-C as an abort of the deploy
 * this command started. Resolves when the connection is done.
 */
export function serveSession(socket: Socket, deps: SessionDeps): Promise<void> {
  const send = (message: object) => {
    if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify(message)}\n`);
  };
  const refuse = (message: object) => {
    send(message);
    socket.end();
  };
  let state: 'request' | 'accepted' | 'running' | 'done' = 'request';
  let request: ControlRequest | undefined;
  let accepted: Extract<Decision, { command: string }> | undefined;
  let run: ReturnType<typeof startRun> | undefined;

  const onLine = (line: string) => {
    if (state === 'request') {
      const parsed = parseRequest(line);
      if ('problem' in parsed) return refuse({ type: 'error', message: `deckhand control: bad request: ${parsed.problem}; nothing was run.` });
      const decision = decide(parsed, deps.identity);
      if ('refused' in decision) return refuse({ type: 'refused', reason: decision.refused });
      [request, accepted, state] = [parsed, decision, 'accepted'];
      return send({ type: 'accepted', command: decision.command, app: decision.app ?? null });
    }
    let message: Record<string, unknown> | undefined;
    try {
      const value: unknown = JSON.parse(line);
      message = value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
    } catch {
      message = undefined;
    }
    if (state === 'accepted') {
      if (message?.type !== 'go' || Object.keys(message).length !== 1) return refuse({ type: 'error', message: 'deckhand control: expected {"type":"go"}; nothing was run.' });
      state = 'running';
      clearTimeout(handshake);
      run = startRun(request!, accepted!, deps, send);
      deps.running(run.done);
      void run.done.then(() => {
        state = 'done';
        socket.end();
      });
      return;
    }
    if (state === 'running' && message?.type === 'answer' && typeof message.id === 'number' && (message.answer === null || typeof message.answer === 'boolean')) return run!.answer(message.id, message.answer);
    if (state === 'running' && message?.type === 'interrupt') return run!.interrupt();
    send({ type: 'error', message: 'deckhand control: unexpected message ignored.' });
  };

  readLines(socket, onLine, {
    max: MAX_LINE,
    then: () => {
      if (state === 'running') send({ type: 'error', message: 'deckhand control: line too long, ignored.' });
      else refuse({ type: 'error', message: 'deckhand control: bad request: line too long; nothing was run.' });
    },
  });
  socket.on('error', () => undefined);
  const handshake = setTimeout(() => socket.destroy(), HANDSHAKE_MS);
  send({ type: 'hello', version: CONTROL_VERSION, pid: process.pid });
  return new Promise((resolve) => {
    socket.once('close', () => {
      clearTimeout(handshake);
      // A CLI that went away (closed terminal, kill) does not stop its command: it finishes as the bot's work.
      run?.gone();
      void (run?.done ?? Promise.resolve()).then(() => resolve());
    });
  });
}

/** Runs the accepted command; `done` resolves after its exit code was sent. */
function startRun(request: ControlRequest, accepted: Extract<Decision, { command: string }>, deps: SessionDeps, send: (message: object) => void) {
  const token = Symbol(accepted.command);
  const questions = new Map<number, (answer: boolean | undefined) => void>();
  let nextQuestion = 1;
  let interrupted = false;
  let connected = true;
  const { services } = deps;
  const abort = (deploymentId: number, app: string) =>
    services.deploys.abort(app, accepted.actor, deploymentId).catch((error) => deps.log(`control: Ctrl-C could not abort #${deploymentId}: ${asDeckhandError(error).message}`));
  const bus = new CommandBus(services.bus, token, (event) => {
    if (interrupted) void abort(event.deploymentId, event.app);
  });
  const untrack = bus.track();
  const confirm = (question: string): Promise<boolean | undefined> => {
    if (!request.tty || !connected) return Promise.resolve(undefined);
    if (interrupted) return Promise.resolve(false);
    const id = nextQuestion++;
    send({ type: 'confirm', id, question });
    return new Promise((resolve) => questions.set(id, resolve));
  };
  const io = { out: (text: string) => send({ type: 'out', text }), err: (text: string) => send({ type: 'err', text }) };
  const settleQuestions = (answer: boolean | undefined) => {
    for (const resolve of questions.values()) resolve(answer);
    questions.clear();
  };
  deps.log(`control: ${accepted.actor} runs "${accepted.command}${accepted.app ? ` ${accepted.app}` : ''}" through the bot`);
  const done = caller
    .run(token, () => runCli(request.argv, { io, services: { ...services, bus }, confirm, actor: request.actor }))
    .catch((error) => {
      io.err(`deckhand: ${asDeckhandError(error).code}: ${asDeckhandError(error).message}`);
      return 1;
    })
    .then((code) => {
      untrack();
      send({ type: 'exit', code });
    });
  return {
    done,
    answer(id: number, answer: boolean | null) {
      questions.get(id)?.(answer ?? undefined);
      questions.delete(id);
    },
    /** Ctrl-C: a question waiting is answered no; this command's running deploy is aborted (now, or when it starts). */
    interrupt() {
      if (interrupted) return;
      interrupted = true;
      settleQuestions(false);
      for (const [id, run] of bus.mine) if (!run.done) void abort(id, run.app);
    },
    gone() {
      connected = false;
      settleQuestions(undefined);
    },
  };
}
