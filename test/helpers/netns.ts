import { execFile as execFileCb, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const execFile = promisify(execFileCb);

/**
 * Network namespaces of the test's own, linked through a bridge that lives ONLY inside a "hub" namespace. Nothing is
 * created in the machine's own namespace: each veth pair is made with both ends placed straight into namespaces
 * (`ip link add … netns A type veth peer name … netns B`), and the addresses (10.213.0.0/24) exist only in them.
 * Every name starts with NETNS_PREFIX, so a later run finds and removes what a crashed run left.
 */
export const NETNS_PREFIX = 'dkswarm';
export const SUBNET_PREFIX = '10.213.0';

export interface NodeNamespace {
  /** Namespace name, e.g. dkswarm-n1. */
  name: string;
  /** Its address on the hub bridge, e.g. 10.213.0.1. */
  addr: string;
  /** /var/run/netns/<name>: what `nsenter --net=` takes. */
  path: string;
}

export interface NamespaceNet {
  hub: NodeNamespace;
  nodes: NodeNamespace[];
  /** Runs argv inside a namespace (`nsenter --net=…`); resolves with stdout, rejects with stderr in the message. */
  exec(ns: NodeNamespace, argv: string[], timeoutMs?: number): Promise<string>;
  /** Deletes the namespaces (their veths and the bridge go with them). Safe to call twice. */
  teardown(): Promise<void>;
}

export const netnsPath = (name: string) => `/var/run/netns/${name}`;

/** `nsenter --net=<ns> argv…`, the argv form (never a shell string). */
export function nsenterArgs(ns: { path: string }, argv: string[]): string[] {
  return [`--net=${ns.path}`, ...argv];
}

async function ip(args: string[]): Promise<void> {
  await execFile('ip', args);
}

async function ipIn(ns: string, args: string[]): Promise<void> {
  await execFile('ip', ['-n', ns, ...args]);
}

export function ourNamespaces(): string[] {
  let out = '';
  try {
    out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(`${NETNS_PREFIX}-`));
}

/** Pids of processes whose network namespace is `name` (what `ip netns pids` prints). */
export function pidsInNamespace(name: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => /^\d+$/.test(line.trim()))
      .map(Number);
  } catch {
    return [];
  }
}

/** Processes whose command line mentions `needle` (a run's root directory names its daemons and shims). */
export function processesMentioning(needle: string): number[] {
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

export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Kills whatever still runs in our namespaces and deletes them. */
export async function deleteNamespaces(names: string[]): Promise<void> {
  for (const name of names) killAll(pidsInNamespace(name));
  for (const name of names) {
    await ip(['netns', 'delete', name]).catch(() => undefined);
  }
}

export async function createNamespaceNet(nodes: number): Promise<NamespaceNet> {
  const hub: NodeNamespace = { name: `${NETNS_PREFIX}-hub`, addr: `${SUBNET_PREFIX}.254`, path: netnsPath(`${NETNS_PREFIX}-hub`) };
  const members: NodeNamespace[] = Array.from({ length: nodes }, (_, i) => {
    const name = `${NETNS_PREFIX}-n${i + 1}`;
    return { name, addr: `${SUBNET_PREFIX}.${i + 1}`, path: netnsPath(name) };
  });
  let done = false;
  const teardown = async () => {
    if (done) return;
    done = true;
    await deleteNamespaces([hub, ...members].map((ns) => ns.name));
  };
  try {
    await ip(['netns', 'add', hub.name]);
    await ipIn(hub.name, ['link', 'set', 'lo', 'up']);
    await ipIn(hub.name, ['link', 'add', 'br0', 'type', 'bridge']);
    await ipIn(hub.name, ['addr', 'add', `${hub.addr}/24`, 'dev', 'br0']);
    await ipIn(hub.name, ['link', 'set', 'br0', 'up']);
    for (const [i, ns] of members.entries()) {
      await ip(['netns', 'add', ns.name]);
      await ipIn(ns.name, ['link', 'set', 'lo', 'up']);
      // Both ends are born inside namespaces: the pair never appears in the machine's own namespace.
      await ip(['link', 'add', 'eth0', 'netns', ns.name, 'type', 'veth', 'peer', 'name', `n${i + 1}`, 'netns', hub.name]);
      await ipIn(hub.name, ['link', 'set', `n${i + 1}`, 'master', 'br0']);
      await ipIn(hub.name, ['link', 'set', `n${i + 1}`, 'up']);
      await ipIn(ns.name, ['addr', 'add', `${ns.addr}/24`, 'dev', 'eth0']);
      await ipIn(ns.name, ['link', 'set', 'eth0', 'up']);
    }
  } catch (error) {
    await teardown();
    throw error;
  }
  return {
    hub,
    nodes: members,
    exec: async (ns, argv, timeoutMs = 15_000) => {
      try {
        const { stdout } = await execFile('nsenter', nsenterArgs(ns, argv), { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 });
        return stdout;
      } catch (error) {
        const e = error as { stderr?: string; message: string };
        throw new Error(`in ${ns.name}: ${argv.join(' ')} failed: ${(e.stderr || e.message).trim()}`);
      }
    },
    teardown,
  };
}
