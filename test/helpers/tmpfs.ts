import { execFileSync } from 'node:child_process';
import { infraRequired } from './infra.js';

/** A tmpfs of our own at `dir` (root, as CI runs): a disk a test can fill. False (a warned skip) when it cannot mount. */
export function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch (error) {
    const reason = `cannot mount a tmpfs: ${(error as Error).message}`;
    if (infraRequired) throw new Error(`${reason} (DECKHAND_REQUIRE_INFRA=1, so this suite must not skip)`);
    console.warn(`\n!!!!!!!! SKIPPING a disk-full suite: ${reason} !!!!!!!!\n`);
    return false;
  }
}

/** Writes zeros to `file` until the disk holding it is full. */
export function fillDisk(file: string): void {
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=64k'], { stdio: 'pipe' });
  } catch {
    // dd stops at ENOSPC: the disk is full.
  }
}
