import type { Endpoint } from '../ports.js';

/** The hosts to send a version's traffic to; empty (the proxy's default, 127.0.0.1) on one Docker host. */
export function hostsOf(endpoints: Endpoint[] | undefined): string[] {
  const hosts = [...new Set((endpoints ?? []).map((e) => e.host))];
  return hosts.length === 1 && hosts[0] === '127.0.0.1' ? [] : hosts;
}
