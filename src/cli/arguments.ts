import { parseDeployId } from '../domain/deploy-id.js';
import { DeckhandError, isDeckhandError } from '../domain/errors.js';

/** Which positional argument (after the app) of each command is a deploy id, and its usage line. */
const DEPLOY_ID_ARGUMENT: Record<string, { index: number; usage: string }> = {
  'plan-rollback': { index: 1, usage: 'Usage: deckhand plan-rollback <app> <id>' },
  rollback: { index: 1, usage: 'Usage: deckhand rollback <app> [id] [--yes] [--release]' },
  pin: { index: 1, usage: 'Usage: deckhand pin <app> <deploy-id>' },
  unpin: { index: 1, usage: 'Usage: deckhand unpin <app> <deploy-id>' },
};

/** A deploy id argument, or undefined when absent. Bad ids are usage errors (exit 2), impossible ones not_found. */
export function deployIdArgument(value: string | undefined, usage: string): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDeployId(value);
  } catch (error) {
    if (isDeckhandError(error, 'invalid_argument')) throw new DeckhandError('invalid_argument', `${error.message} ${usage}`, error.details);
    throw error;
  }
}

/** Checks the arguments that need no database (deploy ids) before the database is opened or queried. */
export function checkArguments(command: string, args: string[]): void {
  const spec = Object.hasOwn(DEPLOY_ID_ARGUMENT, command) ? DEPLOY_ID_ARGUMENT[command] : undefined;
  if (spec) deployIdArgument(args[spec.index], spec.usage);
}
