import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type NodeNamespace, nsenterArgs } from './netns.js';
import { nsHttpGet } from './ns-http.js';

/**
 * Debian's docker-registry (distribution v2) with htpasswd auth, run INSIDE a node namespace (the Swarm manager's)
 * on <addr>:5000, so every node's dockerd reaches it over the namespaces' private network and nothing listens in
 * the machine's own namespace. Plain HTTP: each node's dockerd is started with `--insecure-registry <addr>:5000`
 * (per daemon, nothing global to clean up); dockerd sends the basic-auth credentials over it as it would over TLS.
 */
export interface AuthRegistry {
  /** host:port as image references use it, e.g. 10.213.0.1:5000 */
  host: string;
  username: string;
  password: string;
  /** dockerode's authconfig for push, pull and createService (X-Registry-Auth). */
  authconfig: { username: string; password: string; serveraddress: string };
  stop(): Promise<void>;
}

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A bcrypt htpasswd line (the only hash distribution's htpasswd accepts). apache2-utils' htpasswd is not on the
 * machine; perl (an Essential Debian package) hashes with the C library's crypt(), which does bcrypt ($2b$).
 */
export function bcryptHtpasswdLine(username: string, password: string): string {
  const salt = Array.from(randomBytes(22), (b) => BCRYPT_ALPHABET[b % 64]).join('');
  const hash = execFileSync('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, `$2b$10$${salt}`], { encoding: 'utf8' });
  if (!hash.startsWith('$2b$10$') || hash.length !== 60) throw new Error(`crypt() did not make a bcrypt hash: ${hash}`);
  return `${username}:${hash}\n`;
}

function exited(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Starts the registry in `ns` on ns.addr:5000; `dir` holds its config, htpasswd, storage and log. */
export async function startAuthRegistry(ns: NodeNamespace, dir: string): Promise<AuthRegistry> {
  mkdirSync(dir, { recursive: true });
  const host = `${ns.addr}:5000`;
  const username = 'dkswarm';
  const password = randomBytes(12).toString('hex');
  writeFileSync(join(dir, 'htpasswd'), bcryptHtpasswdLine(username, password));
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: info',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'auth:',
      '  htpasswd:',
      '    realm: dkswarm',
      `    path: ${join(dir, 'htpasswd')}`,
      'http:',
      `  addr: ${host}`,
      '',
    ].join('\n'),
  );
  const logFile = join(dir, 'registry.log');
  const log = openSync(logFile, 'a');
  const child = spawn('nsenter', nsenterArgs(ns, ['docker-registry', 'serve', config]), { stdio: ['ignore', log, log] });
  closeSync(log);
  const stop = () => {
    child.kill('SIGTERM');
    return exited(child, 10_000);
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
    // Up means: it answers /v2/ and refuses us without credentials.
    const answer = await nsHttpGet(ns, `http://${host}/v2/`).catch(() => undefined);
    if (answer?.status === 401) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not answer 401 on ${host}/v2/ within 20 s: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { host, username, password, authconfig: { username, password, serveraddress: host }, stop };
}
