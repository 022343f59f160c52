import { z } from 'zod';

/** Where deckhand reaches one Swarm node's own Docker engine: a Unix socket, or plain TCP (a trusted network or tunnel). */
export type NodeEngineEndpoint = { socketPath: string } | { host: string; port: number };

/**
 * DECKHAND_SWARM_NODE_ENGINES: `node=endpoint,node=endpoint`, each node named by its hostname, address or Swarm node
 * id, each endpoint `unix:///path`, `/path` or `tcp://host:port`. Only used by retention, to remove pruned images
 * from nodes other than the manager; a node without one is listed in the prune report as holding images still.
 */
export function parseNodeEngines(text: string): Map<string, NodeEngineEndpoint> {
  const out = new Map<string, NodeEngineEndpoint>();
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = item.indexOf('=');
    const node = at > 0 ? item.slice(0, at).trim() : '';
    const endpoint = at > 0 ? item.slice(at + 1).trim() : '';
    if (!node || !endpoint) throw new Error(`"${item}" is not node=endpoint (e.g. worker-2=unix:///run/worker-2.sock or 10.0.0.3=tcp://10.0.0.3:2375)`);
    if (out.has(node)) throw new Error(`node ${node} is given twice`);
    out.set(node, endpointOf(node, endpoint));
  }
  return out;
}

function endpointOf(node: string, endpoint: string): NodeEngineEndpoint {
  if (endpoint.startsWith('/')) return { socketPath: endpoint };
  if (endpoint.startsWith('unix://') && endpoint.length > 'unix://'.length) return { socketPath: endpoint.slice('unix://'.length) };
  const tcp = /^tcp:\/\/([^:/]+):(\d{1,5})$/.exec(endpoint);
  if (tcp && Number(tcp[2]) > 0 && Number(tcp[2]) < 65536) return { host: tcp[1]!, port: Number(tcp[2]) };
  throw new Error(`the engine of node ${node} must be unix:///path, /path or tcp://host:port (TLS is not supported: use a socket or a tunnel)`);
}

/** The env field: parsed once at start, a readable message on a mistake. */
export const nodeEnginesField = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (!text?.trim()) return new Map<string, NodeEngineEndpoint>();
    try {
      return parseNodeEngines(text);
    } catch (error) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
      return z.NEVER;
    }
  });
