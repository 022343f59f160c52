import type { AllMiddlewareArgs, RespondFn } from '@slack/bolt';
import type { AppSpec } from '../../../domain/apps.js';
import { asDeckhandError } from '../../../domain/errors.js';
import type { AbortValue } from '../blocks/abort.js';
import { code } from '../blocks/text.js';
import type { SlackContext } from '../context.js';
import { authorize, ephemeral, errorText } from '../handler-kit.js';
import { type ButtonArgs, openClick } from './action-value.js';

/**
 * Asks the app's running deploy to stop, as the person (access rules as for rollback). The deploy's own thread
 * reports how it ends (`cancelled`, by whom); here the person hears that the request was taken, or why not.
 */
export async function abortAs(ctx: SlackContext, respond: RespondFn, user: string, app: AppSpec, expectedId?: number): Promise<void> {
  if (!(await authorize(ctx, respond, user, app, 'rollback'))) return;
  try {
    const running = await ctx.services.deploys.abort(app.name, user);
    const other = expectedId !== undefined && running.id !== expectedId ? ` (deploy #${expectedId} had already ended; #${running.id} is the one running)` : '';
    await respond(ephemeral(`:octagonal_sign: Stopping deploy #${running.id} of ${code(app.name)}${other}. It ends cancelled; the previous version keeps serving.`));
  } catch (error) {
    const e = asDeckhandError(error);
    await respond(ephemeral(e.code === 'not_found' ? `Nothing of ${code(app.name)} is running; there is nothing to abort.` : errorText(e)));
  }
}

/** The Abort button: the same as `/deckhand abort <app>`, for the deploy the message shows. */
export function abortDeployAction(ctx: SlackContext) {
  return async (args: ButtonArgs & AllMiddlewareArgs) => {
    const click = await openClick<AbortValue>(ctx, args, ['app', 'id']);
    if (!click) return;
    const running = (await ctx.services.store.inFlight(click.app.name)).some((d) => d.id === click.value.id);
    if (!running) return void (await args.respond(ephemeral(`Deploy #${click.value.id} of ${code(click.app.name)} is not running any more; there is nothing to abort.`)));
    await abortAs(ctx, args.respond, click.user, click.app, click.value.id);
  };
}
