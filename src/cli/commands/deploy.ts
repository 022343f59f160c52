import { momentsText } from '../../domain/deploy/moments.js';
import { DeckhandError } from '../../domain/errors.js';
import type { CommandContext, ParsedOptions } from '../context.js';
import { deploymentJson, formatEvent } from '../output.js';

export async function deployCommand(ctx: CommandContext, args: string[], options: ParsedOptions): Promise<number> {
  const [app, ref, extra] = args;
  if (!app || extra !== undefined) throw new DeckhandError('invalid_argument', 'Usage: deckhand deploy <app> [ref] [--image REF] [--force]');
  const { io, services, json } = ctx;
  // Validate before anything is fetched or built, so bad input changes nothing.
  services.deploys.target({ app, ref, image: options.image });
  const switched = new Map<number, Date>();
  const unsubscribe = services.bus.subscribe((event) => {
    if (event.type === 'switch') switched.set(event.deploymentId, event.at);
    (json ? io.err : io.out)(formatEvent(event));
  });
  try {
    const result = await services.deploys.deploy({ app, ref, image: options.image, actor: ctx.actor, trigger: 'cli', force: options.force });
    if (json) io.out(JSON.stringify(deploymentJson(result), null, 2));
    if (result.status !== 'succeeded') {
      if (!json) {
        for (const line of result.logTail ?? []) io.err(`  | ${line}`);
        io.err(`deckhand: ${result.errorCode ?? 'failed'}: deploy #${result.id} failed: ${result.error}`);
      }
      return 1;
    }
    if (!json) io.out(`Deployed ${app} #${result.id} (${result.commitSha?.slice(0, 7) ?? result.imageRef}): ${momentsText(result, switched.get(result.id))}.`);
    return 0;
  } finally {
    unsubscribe();
  }
}
