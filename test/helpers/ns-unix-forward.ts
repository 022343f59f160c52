import { type ChildProcess, spawn } from 'node:child_process';
import { nsenterArgs } from './netns.js';

/** Runs in the namespace: accepts on 127.0.0.1:<port> and pipes each connection to the Unix socket; "ready" once listening. */
const FORWARD_SCRIPT = `
const net = require('node:net');
const [port, socket] = process.argv.slice(1);
net.createServer((client) => {
  const upstream = net.connect(socket);
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
}).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\\n'));
`;

/**
 * A TCP port on 127.0.0.1 INSIDE a namespace the test created, forwarded to a Unix socket of the machine (a file, so
 * reachable from any namespace): a process the test runs in that namespace (the deckhand CLI) reaches the machine's
 * Postgres at its usual 127.0.0.1:5432 without any route out of the namespace.
 */
export async function forwardToUnixSocket(ns: { path: string }, port: number, socket: string): Promise<{ stop(): Promise<void> }> {
  const child: ChildProcess = spawn('nsenter', nsenterArgs(ns, [process.execPath, '-e', FORWARD_SCRIPT, String(port), socket]), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    void exited.then(() => reject(new Error(`the forwarder in ${ns.path} exited: ${stderr}`)));
  });
  return {
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
