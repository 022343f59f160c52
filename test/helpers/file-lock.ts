import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * One try at a lock file shared by test processes (the Swarm lock, port reservations). `path` is created holding
 * `content`, written aside and then linked, so it is never seen empty or half written. A holder whose content is
 * `stale` is moved aside and checked: only the one that moved it removes it, and a live one is put back. True when
 * `path` holds `content` (taken now, or already this caller's); false while a live holder has it.
 */
export function tryTakeFile(path: string, content: string, stale: (held: string) => boolean): boolean {
  const unique = `${process.pid}.${randomBytes(6).toString('hex')}`;
  const temp = `${path}.${unique}`;
  writeFileSync(temp, content);
  try {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        linkSync(temp, path);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const held = readOr(path);
      if (held === undefined) continue; // released meanwhile: try again
      if (held === content) return true;
      if (!stale(held)) return false;
      const aside = `${path}.stale.${unique}`;
      try {
        renameSync(path, aside);
      } catch {
        continue; // another process moved it first
      }
      const moved = readOr(aside);
      if (moved !== undefined && moved !== held && !stale(moved)) putBack(aside, path);
      rmSync(aside, { force: true });
    }
    return false;
  } finally {
    rmSync(temp, { force: true });
  }
}

export function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function putBack(aside: string, path: string): void {
  try {
    linkSync(aside, path);
  } catch {
    // taken meanwhile: that holder stands
  }
}
