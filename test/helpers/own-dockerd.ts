import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { APP_DOCKERFILE, BUSYBOX } from './git-repo.js';
import { mountTmpfs } from './tmpfs.js';

/**
 * A second Docker engine of the test's own, so a fault suite can stop, kill and restart "Docker" without touching
 * the main engine at /var/run/docker.sock. It has its own --data-root, --exec-root, socket and pidfile, and (because
 * no --containerd is given) its own managed containerd under its exec root.
 *
 * Observed with dockerd 20.10 (no live-restore), useful when writing fault tests:
 * - stop() (SIGTERM): dockerd stops its containers, exits; start() again restarts the `unless-stopped` ones.
 * - kill() (SIGKILL): its containerd dies with it, but the containers' shims live on, so apps keep serving while the
 *   engine is gone. On start() the new engine finds the shims disconnected, kills the containers (exit 143) and does
 *   NOT restart them, despite `unless-stopped`: a serving container is down after an unclean engine restart until
 *   something starts it again.
 */
export interface OwnDockerd {
  /** Path of the engine's unix socket (short, under /tmp). */
  socket: string;
  /** dockerode on that socket. */
  docker: Docker;
  /** Its directory: data-root, exec-root, socket, pidfile and dockerd.log live here. */
  root: string;
  /** The running dockerd's pid (e.g. to SIGSTOP it: a hung engine); undefined while it is stopped. */
  readonly pid: number | undefined;
  /** SIGTERM, wait for exit (a clean engine shutdown). */
  stop(): Promise<void>;
  /** SIGKILL, wait for exit (a crash). */
  kill(): Promise<void>;
  /** Starts the engine again on the same data root; resolves when it answers. */
  start(): Promise<void>;
  /** Stops the engine, removes its containers, processes, mounts and directories. Safe to call twice. */
  dispose(): Promise<void>;
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

/** Processes whose command line mentions `needle` (the engine's containerd and shims name its exec root). */
function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * After a SIGKILL the engine's containerd dies too, but here PID 1 does not reap orphans: the zombie keeps its pid
 * "alive", so the next dockerd would wait for it forever. A host's init reaps it; we forget its pidfile instead.
 */
function forgetDeadContainerd(exec: string): void {
  const pidfile = join(exec, 'containerd', 'containerd.pid');
  let pid: string;
  try {
    pid = readFileSync(pidfile, 'utf8').trim();
  } catch {
    return;
  }
  let state = 'gone';
  try {
    state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').charAt(0);
  } catch {
    // no such process
  }
  if (state === 'gone' || state === 'Z') rmSync(pidfile, { force: true });
}

function mountsUnder(root: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mountPoint) => mountPoint.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
}

/** `dataRootSize`: the data root is a tmpfs of this size (e.g. `300m`), a disk the test can fill. */
export async function startOwnDockerd(options: { dataRootSize?: string } = {}): Promise<OwnDockerd> {
  const root = mkdtempSync('/tmp/dkd-');
  if (options.dataRootSize) {
    mkdirSync(join(root, 'data'));
    if (!mountTmpfs(join(root, 'data'), options.dataRootSize)) {
      rmSync(root, { recursive: true, force: true });
      throw new Error('cannot mount a tmpfs for the data root');
    }
  }
  const socket = join(root, 'd.sock');
  const exec = join(root, 'x');
  const args = [
    '--data-root', join(root, 'data'),
    '--exec-root', exec,
    '-H', `unix://${socket}`,
    '--pidfile', join(root, 'd.pid'),
    '--bridge=none', '--iptables=false', '--ip-masq=false', '--ip6tables=false',
  ];
  const docker = new Docker({ socketPath: socket, timeout: 5000 });
  let child: ChildProcess | undefined;
  let disposed = false;

  const start = () => retryExitedAtStart(startOnce);

  const startOnce = async () => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    forgetDeadContainerd(exec);
    const log = openSync(join(root, 'dockerd.log'), 'a');
    const started = spawn('dockerd', args, { stdio: ['ignore', log, log] });
    closeSync(log);
    child = started;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (started.exitCode !== null || started.signalCode !== null) {
        throw new Error(`own dockerd exited at start: ${readFileSync(join(root, 'dockerd.log'), 'utf8').slice(-2000)}`);
      }
      if (await docker.ping().then(() => true, () => false)) return;
      if (Date.now() > deadline) {
        started.kill('SIGKILL');
        throw new Error(`own dockerd did not answer within 30 s: ${readFileSync(join(root, 'dockerd.log'), 'utf8').slice(-2000)}`);
      }
      await sleep(100);
    }
  };

  const stop = async () => {
    if (!child) return;
    child.kill('SIGCONT'); // in case a test froze it
    child.kill('SIGTERM');
    if (!(await exited(child, 30_000))) {
      child.kill('SIGKILL');
      await exited(child, 10_000);
    }
  };

  const kill = async () => {
    if (!child) return;
    child.kill('SIGKILL');
    await exited(child, 10_000);
  };

  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    try {
      await start();
      const containers = await docker.listContainers({ all: true });
      await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    } catch {
      // the engine may refuse to come back; the sweep below still cleans up
    }
    await stop();
    for (const pid of processesMentioning(root)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const mountPoint of mountsUnder(root)) {
      try {
        execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
      } catch {
        // not mounted any more
      }
    }
    rmSync(root, { recursive: true, force: true });
  };

  try {
    await start();
  } catch (error) {
    await dispose();
    throw error;
  }
  return {
    socket,
    docker,
    root,
    get pid() {
      return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    stop,
    kill,
    start,
    dispose,
  };
}

/** The start script of the standard test app (as in test/helpers/git-repo.ts), with extra lines before httpd. */
export function appStartScript(body: string, before = ''): string {
  return `${before}echo "starting ${body} on port $PORT"\nexec /bin/busybox httpd -f -v -p 127.0.0.1:$PORT -h /www\n`;
}

/**
 * Builds the standard busybox test image (FROM scratch, /bin/busybox, httpd on 127.0.0.1:$PORT serving `body` at /
 * and /healthz) on the given engine. Returns the image id.
 */
export async function buildBusyboxImage(docker: Docker, tag: string, options: { body?: string; labels?: Record<string, string>; startScript?: string } = {}): Promise<string> {
  const body = options.body ?? 'hello';
  const dir = mkdtempSync('/tmp/dkd-ctx-');
  try {
    mkdirSync(join(dir, 'www'));
    copyFileSync(BUSYBOX, join(dir, 'busybox'));
    writeFileSync(join(dir, 'Dockerfile'), APP_DOCKERFILE);
    writeFileSync(join(dir, 'www', 'index.html'), body);
    writeFileSync(join(dir, 'www', 'healthz'), 'ok');
    writeFileSync(join(dir, 'start.sh'), options.startScript ?? appStartScript(body));
    const stream = await docker.buildImage({ context: dir, src: ['Dockerfile', 'busybox', 'www', 'start.sh'] }, { t: tag, labels: options.labels ?? {}, rm: true, forcerm: true });
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null, output: Array<{ error?: string }>) => {
        const failed = error?.message ?? output.find((m) => m.error)?.error;
        if (failed) reject(new Error(`building ${tag} failed: ${failed}`));
        else resolve();
      }),
    );
    return (await docker.getImage(tag).inspect()).Id;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts an engine; after a crash its containerd may take a moment to go, so an engine that exits at once is retried. */
export async function retryExitedAtStart(startOnce: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce();
    } catch (error) {
      if (attempt >= 3 || !/exited at start/.test((error as Error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
    }
  }
}
