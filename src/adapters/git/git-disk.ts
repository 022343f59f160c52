import { type DeckhandError, diskFull, diskFullError } from '../../domain/errors.js';

/**
 * git, or a directory made for the mirror, could not write because the disk under the data dir is full: a fetch that
 * no retry fixes, told as disk_full with the place to free (never as a source that could not be reached).
 */
export function mirrorDiskFull(error: unknown, dir: string): DeckhandError | undefined {
  const node = diskFull(error);
  if (node) return node;
  const text = error instanceof Error ? error.message : String(error);
  if (/No space left on device/i.test(text)) return diskFullError('no space left on device', dir, 'ENOSPC', error);
  if (/Disk quota exceeded/i.test(text)) return diskFullError('the disk quota is used up', dir, 'EDQUOT', error);
  return undefined;
}
