import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Unix socket paths longer than this do not fit in sockaddr_un (108 bytes with the NUL, less on macOS). */
export const MAX_SOCKET_PATH = 100;

/**
 * Where a Unix socket meant to live at `beside` is served: there, or, when that path is too long for a Unix socket,
 * as `name` in a private directory under the system temp dir named by a hash of `key`. Node built-ins only: the
 * CLI's thin client imports this before anything else.
 */
export function unixSocketPath(beside: string, key: string, name: string): string {
  if (Buffer.byteLength(beside) <= MAX_SOCKET_PATH) return beside;
  return join(tmpdir(), `deckhand-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`, name);
}
