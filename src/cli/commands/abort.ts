import { isTerminal } from '../../domain/deployment.js';
import { DeckhandError } from '../../domain/errors.js';
import type { CommandContext } from '../context.js';
import { deploymentJson } from '../output.js';

const USAGE = 'Usage: deckhand abort <app>';
/** How long the CLI waits to see the deploy end; it stops at its next step, usually within a second. */
const WAIT_MS = 30_000;
const POLL_MS = 250;

/**
 * `deckhand abort <app>`: asks the app's running deploy to stop, wherever it runs (this process or the bot: the
 * request is recorded in the database, which the running deploy polls), then waits a bounded time to report how it
 * ended. Exit code 0 when it ended `cancelled`.
 */
export async function abortCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const [app, extra] = args;
  if (!app || extra !== undefined) throw new DeckhandError('invalid_argument', USAGE);
  const { io, services, json } = ctx;
  const asked = await services.deploys.abort(app, ctx.actor);
  if (!json) io.out(`Asked deploy #${asked.id} of ${app} (${asked.status}) to stop.`);
  const deadline = Date.now() + WAIT_MS;
  let now = asked;
  while (!isTerminal(now.status) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    now = (await services.store.get(asked.id)) ?? now;
  }
  if (json) io.out(JSON.stringify(deploymentJson(now), null, 2));
  if (now.status === 'cancelled') {
    const serving = await services.store.current(app);
    if (!json) io.out(`Deploy #${now.id} of ${app} was cancelled by ${ctx.actor}; ${serving ? `#${serving.id} still serves` : 'nothing served before it'}.`);
    return 0;
  }
  if (!isTerminal(now.status)) {
    if (!json) io.err(`deckhand: deploy #${now.id} is still ${now.status}; it stops at its next step ("deckhand deploys ${app}" shows how it ended).`);
    return 1;
  }
  if (!json) io.err(`deckhand: deploy #${now.id} ended ${now.status} before the abort reached it.`);
  return 1;
}
