import { readFileSync, readdirSync } from 'node:fs';

/** The fields of /proc/<pid>/stat after the command name (which may itself hold spaces and parentheses). */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The child of `parentPid` whose command line contains `marker` (e.g. the bot's store process, `store-main`). */
export function childProcess(parentPid: number, marker: string): number | undefined {
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    if (Number(statFields(entry)?.[1]) !== parentPid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) return Number(entry);
    } catch {
      /* gone meanwhile */
    }
  }
  return undefined;
}

/** The process runs (and is not a zombie waiting for its reaper). */
export function running(pid: number): boolean {
  const state = statFields(pid)?.[0];
  return state !== undefined && state !== 'Z';
}
