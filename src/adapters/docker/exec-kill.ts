import { readFileSync, readdirSync } from 'node:fs';

/**
 * Docker has no call to stop one exec'd command. When deckhand shares the host's process table (it runs on the
 * host, or in a container with the host's pid namespace) it kills the command and its descendants itself. Each pid
 * is checked to belong to the container (its cgroup names the container id) right before the signal, so a pid of
 * the same number in another namespace, or one reused since, is never touched. Returns false when it could not.
 */
export function killExecTree(pid: number, containerId: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(containerId)) return false;
  const inContainer = (p: number) => {
    try {
      return readFileSync(`/proc/${p}/cgroup`, 'utf8').includes(containerId);
    } catch {
      return false;
    }
  };
  if (!inContainer(pid)) return false;
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    // no /proc listing: only the command itself is killed
  }
  for (const name of entries) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // exited meanwhile
    }
  }
  const tree: number[] = [];
  for (const queue = [pid]; queue.length > 0; ) {
    const next = queue.shift()!;
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  let killedAny = false;
  for (const p of tree) {
    if (!inContainer(p)) continue;
    try {
      process.kill(p, 'SIGKILL');
      killedAny = true;
    } catch {
      // gone already, or not ours to signal
    }
  }
  return killedAny;
}
