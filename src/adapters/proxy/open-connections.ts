import { readFile } from 'node:fs/promises';

/** The kernel's TCP socket tables of this process's network namespace. */
export const PROC_TCP_TABLES = ['/proc/net/tcp', '/proc/net/tcp6'];

/** ESTABLISHED and SYN_SENT: a request on its way or being answered, and a connect the kernel is still retrying. */
const OPEN_STATES = new Set(['01', '02']);

/**
 * How many TCP connections on this host are open to 127.0.0.1:`port` (or ::1) from the client side: what the proxy
 * still has in flight to an upstream it no longer routes to. Counted from the kernel's tables (Linux); 0 when they
 * cannot be read (another OS, or a proxy in another network namespace: nothing can be seen, nothing is waited for).
 */
export async function openConnectionsTo(port: number, tables: readonly string[] = PROC_TCP_TABLES): Promise<number> {
  let open = 0;
  for (const table of tables) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [remote, state] = [fields[2], fields[3]];
      if (!remote || !state || !OPEN_STATES.has(state)) continue;
      const [address, hexPort] = remote.split(':');
      if (parseInt(hexPort ?? '', 16) === port && isLoopback(address ?? '')) open += 1;
    }
  }
  return open;
}

/**
 * 127.0.0.0/8, ::1, or ::ffff:127.x.x.x as the kernel prints them: each 32-bit word in host byte order (little-endian
 * here), so 127.0.0.1 reads `0100007F` and ::1 reads `00000000000000000000000001000000`.
 */
function isLoopback(hex: string): boolean {
  const upper = hex.toUpperCase();
  if (upper.length === 8) return upper.endsWith('7F');
  if (upper.length !== 32) return false;
  if (upper === '00000000000000000000000001000000') return true;
  return upper.startsWith('0000000000000000FFFF0000') && upper.endsWith('7F');
}
