import { type BigIntStats, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What the mirror's refs are now, as a key: the files and directories that a clone or a fetch (deckhand's only
 * changes to its mirror) always rewrites. Every fetch writes FETCH_HEAD, even when nothing changed; a clone, a
 * `pack-refs` or a pruned ref rewrites packed-refs; a loose ref added, moved or removed renames a file in its
 * directory. Which commits a branch or tag reaches, and which commits are present, change only with them. Undefined
 * when the mirror cannot be read: then nothing is remembered.
 */
export function refsState(mirror: string): string | undefined {
  try {
    return ['FETCH_HEAD', 'packed-refs', 'refs/heads', 'refs/tags', 'objects/pack'].map((path) => stamp(statSync(join(mirror, path), { bigint: true, throwIfNoEntry: false }))).join('|');
  } catch {
    return undefined;
  }
}

const stamp = (stats: BigIntStats | undefined): string => (stats ? `${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}` : '-');

/** One file's identity and last change, as a key (undefined when it cannot be read): a rewrite changes it. */
export function fileState(path: string): string | undefined {
  try {
    const stats = statSync(path, { bigint: true, throwIfNoEntry: false });
    return stats ? stamp(stats) : undefined;
  } catch {
    return undefined;
  }
}
