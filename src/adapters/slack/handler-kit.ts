import type { RespondFn } from '@slack/bolt';
import type { AppSpec } from '../../domain/apps.js';
import type { Capability } from '../../domain/access/authorizer.js';
import type { Deployment } from '../../domain/deployment.js';
import { type DeckhandError, asDeckhandError } from '../../domain/errors.js';
import { appRedactor } from '../../domain/redact.js';
import { lockRefusal } from './blocks/common.js';
import { code, esc } from './blocks/text.js';
import { channelProblem } from './channel-problem.js';
import { SlackRefusal, SlackTimedOut } from './outbox.js';
import type { SlackContext } from './context.js';
import { ProgressStreamer, type StreamOptions } from './progress-streamer.js';

export const ephemeral = (text: string) => ({ response_type: 'ephemeral' as const, text });

/** Splits a slash command's text into words. */
export const words = (text: string | undefined) => (text ?? '').trim().split(/\s+/).filter(Boolean);

/** The app, or an ephemeral answer listing the known ones. */
export function findApp(ctx: SlackContext, name: string): AppSpec | string {
  const app = ctx.services.apps.get(name);
  if (app) return app;
  const known = ctx.services.apps.names();
  return `Unknown app ${code(name)}. Known apps: ${known.length ? known.map(code).join(', ') : '(none configured)'}.`;
}

/** Checks access (or takes the answer of `asked`, a check already under way); on denial answers ephemerally, audits, and returns false. */
export async function authorize(ctx: SlackContext, respond: RespondFn, user: string, app: AppSpec, capability: Capability, asked?: Promise<boolean>): Promise<boolean> {
  if (await (asked ?? ctx.authorizer.can(user, app, capability))) return true;
  await ctx.services.audit.record({ actor: user, action: 'access.denied', app: app.name, result: 'refused', details: { capability } });
  await respond(ephemeral(`:no_entry: You are not allowed to ${capability === 'deploy' ? 'deploy' : 'roll back'} ${code(app.name)}. ${whoMay(app, capability)}`));
  return false;
}

/** The way out of an access refusal: who may (as mentions), and where that is configured. */
function whoMay(app: AppSpec, capability: Capability): string {
  const allowed = app.access?.[capability] ?? [];
  const named = allowed.map((id) => (id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`));
  const key = `access.${capability}`;
  return named.length ? `Ask ${named.join(', ')}, or have \`${key}\` for ${code(app.name)} changed in deckhand.yml.` : `Have \`${key}\` for ${code(app.name)} changed in deckhand.yml.`;
}

/** A refusal as one line: the code and its sentence, never SQL or a stack. */
export function errorText(error: DeckhandError | unknown): string {
  // Slack refused a message deckhand had to post (an approval card, a report): say where and how to fix it.
  if (error instanceof SlackRefusal || error instanceof SlackTimedOut) return channelProblem(error, error.channel);
  const e = asDeckhandError(error);
  // A deploy that already serves when the database went away says so in its own words: something did change.
  if (e.code === 'database_unavailable' && !e.details.serving) return ':warning: deckhand cannot reach its database, nothing was changed. Try again in a moment (`database_unavailable`).';
  const locked = lockRefusal(e);
  if (locked) return locked;
  return `:warning: \`${e.code}\`: ${esc(e.message)}`;
}

/** A refusal as a sentence that names the way out, the code after it in backticks. */
const refusalText = (error: unknown) => {
  const e = asDeckhandError(error);
  return e.code === 'database_unavailable' ? errorText(e) : `:no_entry: ${esc(e.message)} (\`${e.code}\`)`;
};

export type ProgressOptions = Omit<StreamOptions, 'intervalMs' | 'redact' | 'respond' | 'lookups'> & { respond?: RespondFn };

/**
 * Runs a deploy or rollback at once and streams it into a thread through the outbox: nothing here waits for
 * Slack before the work starts. The thread is opened when `start` reports the deployment (`track`); work refused
 * before that gets no thread, only an ephemeral answer. When the channel refuses deckhand, the person hears the
 * cause, the fix and the result through `respond`.
 */
export async function runWithProgress(ctx: SlackContext, options: ProgressOptions, start: (track: (deploymentId: number) => void) => Promise<Deployment>): Promise<Deployment | undefined> {
  const app = ctx.services.apps.get(options.app);
  const { respond, ...rest } = options;
  const answer = respond ? (message: { text: string; blocks?: unknown[] }) => respond({ response_type: 'ephemeral', replace_original: false, ...message } as never) : undefined;
  const streamer = new ProgressStreamer(ctx.gateway, {
    ...rest,
    intervalMs: ctx.streamIntervalMs,
    redact: app ? appRedactor(app) : undefined,
    respond: answer,
    lookups: { serving: () => ctx.services.store.current(options.app), previousTarget: () => ctx.services.rollbacks.previousTarget(options.app) },
  });
  const unsubscribe = ctx.services.bus.subscribe((event) => streamer.handle(event));
  let deployment: Deployment;
  try {
    deployment = await start((id) => streamer.track(id));
  } catch (error) {
    unsubscribe();
    if (streamer.started) await streamer.refused(error);
    else await answer?.({ text: refusalText(error) });
    return undefined;
  }
  unsubscribe();
  await streamer.finish(deployment);
  return deployment;
}
