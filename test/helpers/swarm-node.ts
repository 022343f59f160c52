import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { type NodeNamespace, killAll, nsenterArgs, processesMentioning } from './netns.js';
import { retryExitedAtStart } from './own-dockerd.js';

/**
 * One Swarm node: its own dockerd started inside a network namespace with `nsenter --net=` (NOT `ip netns exec`,
 * which remounts /sys so dockerd fails with "Devices cgroup isn't mounted"). It has its own data root, exec root
 * (so its own managed containerd), socket, pidfile and an empty daemon config file (the machine's
 * /etc/docker/daemon.json is not read). Pattern and crash notes: test/helpers/own-dockerd.ts.
 */
export interface SwarmNodeDaemon {
  name: string;
  /** The node's address inside the namespaces (what Swarm advertises, what services answer on). */
  addr: string;
  /** Unix socket of this node's dockerd (reachable from the test process: the socket is a file). */
  socket: string;
  docker: Docker;
  ns: NodeNamespace;
  /** The directory holding data root, exec root, socket, pidfile and dockerd.log. */
  root: string;
  readonly running: boolean;
  /** SIGTERM, wait for exit: the node leaves (its tasks' containers are stopped by dockerd). */
  stop(): Promise<void>;
  /** Starts dockerd again on the same data root (the node comes back into the Swarm); resolves when it answers. */
  start(): Promise<void>;
  /** The tail of dockerd.log, for error messages. */
  logTail(chars?: number): string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** After a SIGKILL the zombie containerd keeps its pidfile "alive" (PID 1 here does not reap): forget it. */
function forgetDeadContainerd(exec: string): void {
  const pidfile = join(exec, 'containerd', 'containerd.pid');
  if (!existsSync(pidfile)) return;
  const pid = readFileSync(pidfile, 'utf8').trim();
  let state = 'gone';
  try {
    state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').charAt(0);
  } catch {
    // no such process
  }
  if (state === 'gone' || state === 'Z') rmSync(pidfile, { force: true });
}

export function mountsUnder(root: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mountPoint) => mountPoint.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
}

export function unmountUnder(root: string): void {
  for (const mountPoint of mountsUnder(root)) {
    try {
      execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
    } catch {
      // not mounted any more
    }
  }
}

export function prepareNodeDaemon(ns: NodeNamespace, root: string, insecureRegistries: string[]): SwarmNodeDaemon {
  mkdirSync(root, { recursive: true });
  const socket = join(root, 'd.sock');
  const exec = join(root, 'x');
  const config = join(root, 'daemon.json');
  writeFileSync(config, '{}\n');
  const args = [
    'dockerd',
    '--config-file', config,
    '--data-root', join(root, 'data'),
    '--exec-root', exec,
    '-H', `unix://${socket}`,
    '--pidfile', join(root, 'd.pid'),
    '--bridge=none', '--iptables=false', '--ip-masq=false', '--ip6tables=false',
    ...insecureRegistries.flatMap((host) => ['--insecure-registry', host]),
  ];
  const docker = new Docker({ socketPath: socket, timeout: 15_000 });
  const logFile = join(root, 'dockerd.log');
  let child: ChildProcess | undefined;
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const logTail = (chars = 2000) => (existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-chars) : '');

  const startOnce = async () => {
    if (alive()) return;
    forgetDeadContainerd(exec);
    const log = openSync(logFile, 'a');
    const started = spawn('nsenter', nsenterArgs(ns, args), { stdio: ['ignore', log, log] });
    closeSync(log);
    child = started;
    const deadline = Date.now() + 45_000;
    for (;;) {
      if (started.exitCode !== null || started.signalCode !== null) throw new Error(`dockerd of ${ns.name} exited at start: ${logTail()}`);
      if (await docker.ping().then(() => true, () => false)) return;
      if (Date.now() > deadline) {
        started.kill('SIGKILL');
        throw new Error(`dockerd of ${ns.name} did not answer within 45 s: ${logTail()}`);
      }
      await sleep(150);
    }
  };

  const start = () => retryExitedAtStart(startOnce);

  const stop = async () => {
    if (!child || !alive()) return;
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    if (!(await exited(child, 30_000))) {
      child.kill('SIGKILL');
      await exited(child, 10_000);
    }
  };

  return {
    name: ns.name,
    addr: ns.addr,
    socket,
    docker,
    ns,
    root,
    get running() {
      return alive();
    },
    stop,
    start,
    logTail,
  };
}

/** Everything a node left: processes naming its root, mounts under it, the directory. */
export function sweepNodeRoot(root: string): void {
  killAll(processesMentioning(root));
  unmountUnder(root);
}
