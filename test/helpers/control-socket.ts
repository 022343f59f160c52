import { type Socket, connect } from 'node:net';

export type ControlLine = Record<string, unknown>;

export interface ControlConnection {
  send(line: string): void;
  /** The next line the bot sent (rejects when the connection closed first or after 30 s). */
  next(): Promise<ControlLine>;
  /** Every line still to come, once the bot closed the connection. */
  untilClosed(): Promise<ControlLine[]>;
  close(): void;
}

/** A raw connection to a bot's control socket, past its hello: the test speaks the protocol by hand. */
export async function controlConnection(path: string): Promise<ControlConnection> {
  const socket: Socket = connect(path);
  const lines: ControlLine[] = [];
  let buffered = '';
  let closed = false;
  const wake = new Set<() => void>();
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const part of parts) lines.push(JSON.parse(part) as ControlLine);
    for (const fn of wake) fn();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    closed = true;
    for (const fn of wake) fn();
  });
  const until = (ready: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`no answer from the control socket; got ${JSON.stringify(lines)}`)), 30_000);
      const check = () => {
        if (ready()) done();
      };
      const done = (error?: Error) => {
        clearTimeout(timer);
        wake.delete(check);
        if (error) reject(error);
        else resolve();
      };
      wake.add(check);
      check();
    });
  const next = async () => {
    await until(() => lines.length > 0 || closed);
    if (lines.length === 0) throw new Error('the control socket closed');
    return lines.shift()!;
  };
  const hello = await next();
  if (hello.type !== 'hello') throw new Error(`expected hello, got ${JSON.stringify(hello)}`);
  return {
    send: (line) => socket.write(`${line}\n`),
    next,
    untilClosed: async () => {
      await until(() => closed);
      return lines.splice(0);
    },
    close: () => socket.destroy(),
  };
}
