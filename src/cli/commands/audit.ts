import type { StoreServices } from '../../compose-store.js';
import { DeckhandError } from '../../domain/errors.js';
import type { AuditEntry } from '../../domain/ports.js';
import type { CommandContext, ParsedOptions } from '../context.js';

const USAGE = 'Usage: deckhand audit [app] [--limit N] [--json]';

type Row = AuditEntry & { id: number; at: Date };

const oneLine = (details: Record<string, unknown> | undefined) => {
  if (!details || Object.keys(details).length === 0) return '';
  const text = JSON.stringify(details);
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
};

export function formatAuditTable(rows: Row[]): string {
  if (rows.length === 0) return 'No audit events yet.';
  const header = ['ID', 'AT (UTC)', 'ACTOR', 'ACTION', 'APP', 'DEPLOY', 'RESULT', 'DETAILS'];
  const lines = rows.map((r) => [
    String(r.id),
    r.at.toISOString().replace('T', ' ').slice(0, 19),
    r.actor,
    r.action,
    r.app ?? '-',
    r.deploymentId ? `#${r.deploymentId}${r.targetDeploymentId ? ` -> #${r.targetDeploymentId}` : ''}` : r.targetDeploymentId ? `-> #${r.targetDeploymentId}` : '-',
    r.result,
    oneLine(r.details),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [render(header), ...lines.map(render)].join('\n');
}

/** `deckhand audit [app]`: who did what, newest first (default 50, at most 1000). */
export async function auditCommand(ctx: CommandContext<StoreServices>, args: string[], options: ParsedOptions): Promise<number> {
  const [app, extra] = args;
  if (extra !== undefined) throw new DeckhandError('invalid_argument', USAGE);
  const limit = options.limit === undefined ? 50 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new DeckhandError('invalid_argument', `--limit must be a whole number from 1 to 1000. ${USAGE}`);
  if (app) ctx.services.requireApp(app);
  const rows = await ctx.services.audit.list({ app, limit });
  if (ctx.json) ctx.io.out(JSON.stringify(rows.map((r) => ({ id: r.id, at: r.at.toISOString(), actor: r.actor, action: r.action, app: r.app, deploymentId: r.deploymentId ?? null, targetDeploymentId: r.targetDeploymentId ?? null, result: r.result, details: r.details ?? null })), null, 2));
  else ctx.io.out(formatAuditTable(rows));
  return 0;
}
