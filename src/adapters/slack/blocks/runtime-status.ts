import type { DeckhandError } from '../../../domain/errors.js';
import type { RuntimeStatus } from '../../../domain/status/runtime-status.js';
import { type Block, context, esc, header, section } from './common.js';
import { LIMITS, capList } from './limits.js';
import { healthLine } from './status.js';

function containerLine(c: RuntimeStatus['serving'][number]): string {
  const state = c.status ?? (c.running ? 'running' : 'stopped');
  return `${c.deploymentId !== null ? `*#${c.deploymentId}* ` : ''}${esc(c.name)} (${esc(state)}${c.port !== null ? `, port ${c.port}` : ''}${c.restartCount ? `, restarted ${c.restartCount} time(s)` : ''})`;
}

/** The health without its container when the Serving line names that container already (it is the first one there). */
function unlisted(s: RuntimeStatus): RuntimeStatus['health'] {
  const named = s.health.container && s.serving.some((c) => c.name === s.health.container!.name);
  return named ? { ...s.health, container: null } : s.health;
}

/**
 * `/deckhand status` when the database cannot be read: why first, then per app what runs, read from Docker and the
 * proxy alone. History, locks and approvals are in the database and are not said.
 */
export function renderRuntimeStatus(error: DeckhandError, apps: RuntimeStatus[]): { text: string; blocks: Block[] } {
  const why = `:warning: ${esc(error.message)} (\`${error.code}\`)`;
  const rows = apps.map((s) => section(`*${esc(s.app)}* · ${healthLine(unlisted(s))}\n*Serving:* ${s.serving.length ? s.serving.map(containerLine).join(' · ') : 'no container'}`));
  return {
    text: `${why} What runs now, from Docker and the proxy alone.`,
    blocks: [
      header('Status, from Docker and the proxy alone'),
      section(`${why}\nWhat runs now, read from Docker and the proxy: history, locks and approvals are in the database, which cannot be read. Nothing was changed.`),
      ...capList(rows, LIMITS.blocks - 3, (n) => context([`…and ${n} more apps`])),
    ],
  };
}
