import type { RuntimeView } from '../../compose-view.js';
import { catalogOf, requireApp } from '../../domain/apps.js';
import { type DeckhandError, asDeckhandError } from '../../domain/errors.js';
import type { RuntimeStatus } from '../../domain/status/runtime-status.js';
export { STORE_UNREADABLE } from '../../domain/status/runtime-status.js';
import type { Io } from '../output.js';
import { noteLine, probeLines } from './status.js';

const HEADING = 'What runs now, from Docker and the proxy alone (history, locks and approvals are in the database, which cannot be read):';

function formatRuntimeStatus(s: RuntimeStatus): string {
  const lines = [`${s.app}: ${s.health.state}`];
  for (const c of s.serving) lines.push(`  serving:     ${c.deploymentId !== null ? `#${c.deploymentId} ` : ''}${c.name} (${c.status ?? (c.running ? 'running' : 'stopped')}${c.port !== null ? `, port ${c.port}` : ''}${c.restartCount ? `, restarted ${c.restartCount} time(s)` : ''})`);
  if (s.serving.length === 0) lines.push('  serving:     no container');
  lines.push(...probeLines(s.health));
  if (s.health.note) lines.push(noteLine(s.health.note));
  return lines.join('\n');
}

/**
 * `deckhand status` when the database cannot be read (it is down, its disk is full): the error first, as for any
 * command, then what runs, read from Docker and the proxy (nothing is changed, nothing is started). Exit code 1: the
 * status is incomplete. `view` gives the apps and a look at each, without the database.
 */
export async function statusWithoutStore(input: { io: Io; json: boolean; args: string[]; error: DeckhandError; view: () => Promise<RuntimeView> }): Promise<number> {
  const { io, json, args, error } = input;
  let statuses: RuntimeStatus[];
  try {
    const view = await input.view();
    const apps = args[0] ? [requireApp(catalogOf(view.apps), args[0])] : view.apps;
    statuses = await Promise.all(apps.map((app) => view.look(app)));
  } catch (thrown) {
    const also = asDeckhandError(thrown);
    if (json) io.out(JSON.stringify({ error: { code: error.code, message: error.message }, runtimeError: { code: also.code, message: also.message } }, null, 2));
    io.err(`deckhand: ${error.code}: ${error.message}`);
    io.err(also.code === 'unknown_app' ? `deckhand: ${also.code}: ${also.message}` : `deckhand: nor could Docker and the proxy be read: ${also.code}: ${also.message}`);
    return 1;
  }
  if (json) io.out(JSON.stringify({ error: { code: error.code, message: error.message }, runtime: statuses }, null, 2));
  io.err(`deckhand: ${error.code}: ${error.message}`);
  if (!json) io.out([HEADING, ...statuses.map(formatRuntimeStatus)].join('\n'));
  return 1;
}
