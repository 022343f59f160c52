import { momentsText } from '../../domain/deploy/moments.js';
import { DeckhandError } from '../../domain/errors.js';
import { deployIdArgument } from '../arguments.js';
import type { CommandContext, ParsedOptions } from '../context.js';
import { deploymentJson, formatEvent } from '../output.js';
import { formatPlan, planJson } from '../plan-output.js';
import type { RollbackPlan } from '../../domain/rollback/plan.js';

const PLAN_USAGE = 'Usage: deckhand plan-rollback <app> <id>';
const ROLLBACK_USAGE = 'Usage: deckhand rollback <app> [id] [--yes] [--release]';

export async function planRollbackCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const [app, idText, extra] = args;
  if (!app || !idText || extra !== undefined) throw new DeckhandError('invalid_argument', PLAN_USAGE);
  const plan = await ctx.services.rollbacks.plan(app, deployIdArgument(idText, PLAN_USAGE));
  ctx.io.out(ctx.json ? JSON.stringify(planJson(plan), null, 2) : formatPlan(plan));
  return 0;
}

export async function rollbackCommand(ctx: CommandContext, args: string[], options: ParsedOptions): Promise<number> {
  const [app, idText, extra] = args;
  if (!app || extra !== undefined) throw new DeckhandError('invalid_argument', ROLLBACK_USAGE);
  const { io, services, json } = ctx;
  const requested = deployIdArgument(idText, ROLLBACK_USAGE);
  // With --yes nobody reads a plan before it runs: the rollback takes the app's lease and plans under it, once (no
  // plan beforehand to re-check against the database and the host). Without it, the plan shown is the one that runs.
  let plan: RollbackPlan | undefined;
  if (!options.yes) {
    plan = await services.rollbacks.plan(app, requested);
    io.out(formatPlan(plan));
    if (plan.release) io.out(releaseNote(plan.release, options.release === true));
    const answer = await ctx.confirm(`Roll ${app} back to #${plan.target.id}? [y/N] `);
    if (answer === undefined) throw new DeckhandError('invalid_argument', 'Nobody to confirm (no terminal): re-run with --yes after reading the plan.');
    if (!answer) {
      io.err('Rollback cancelled; nothing changed.');
      return 1;
    }
  }
  const switched = new Map<number, Date>();
  const unsubscribe = services.bus.subscribe((event) => {
    if (event.type === 'switch') switched.set(event.deploymentId, event.at);
    (json ? io.err : io.out)(formatEvent(event));
  });
  try {
    const { deployment, plan: ran } = await services.rollbacks.rollback(app, plan?.target.id ?? requested, ctx.actor, undefined, undefined, { release: options.release === true, plan });
    if (json) io.out(JSON.stringify({ ...deploymentJson(deployment), warnings: ran.warnings }, null, 2));
    if (deployment.status !== 'succeeded') {
      if (!json) io.err(`deckhand: ${deployment.errorCode ?? 'failed'}: rollback #${deployment.id} failed: ${deployment.error}`);
      return 1;
    }
    if (!json) {
      io.out(`Rolled ${app} back to #${ran.target.id} as #${deployment.id} (${deployment.rollbackSource}): ${momentsText(deployment, switched.get(deployment.id))}.`);
      io.out(`${app} is now locked against forward deploys; "deckhand unlock ${app}" when the fix is ready.`);
    }
    return 0;
  } finally {
    unsubscribe();
  }
}

/** Whether the app's release command runs: rollbacks skip it unless asked (`--release`). */
function releaseNote(argv: readonly string[], release: boolean): string {
  return release ? `Release phase: runs ${argv.join(' ')} before traffic moves (--release).` : `Release phase: skipped (${argv.join(' ')} does not run on a rollback unless --release).`;
}
