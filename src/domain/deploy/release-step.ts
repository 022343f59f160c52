import { DeckhandError } from '../errors.js';
import type { StepContext } from './artifact-step.js';

/** How many of the release's last output lines a failure quotes. */
const QUOTED_LINES = 20;

/**
 * The release phase: the app's `run.release` argv, run once in a one-off container of the new image with the app's
 * env, after the image is ready and before anything starts or traffic moves. Its output streams like the build log
 * (through `ctx.log`, so redacted). A non-zero exit stops the deploy with `release_failed` and that output.
 */
export async function runRelease(ctx: StepContext, imageId: string, signal: AbortSignal, env: Record<string, string>): Promise<void> {
  const argv = ctx.app.run.release;
  if (!argv || argv.length === 0) return;
  ctx.phase('release', `Running the release command: ${argv.join(' ')}`);
  const output: string[] = [];
  const { exitCode } = await ctx.deps.runtime.runOnce({
    app: ctx.app.name,
    deploymentId: ctx.deploymentId,
    image: imageId,
    argv,
    env,
    settings: ctx.app.run.container,
    signal,
    onLog: (line) => {
      output.push(line);
      if (output.length > QUOTED_LINES) output.shift();
      ctx.log(line);
    },
  });
  if (signal.aborted) throw signal.reason instanceof DeckhandError ? signal.reason : new DeckhandError('cancelled', 'The deploy was cancelled.');
  if (exitCode !== 0) {
    const tail = output.length > 0 ? `:\n${output.join('\n')}` : ' (it printed nothing).';
    throw new DeckhandError('release_failed', `The release command (${argv.join(' ')}) exited with code ${exitCode}; nothing was started and the previous version still serves${tail}`, { exitCode });
  }
  ctx.phase('release', 'The release command succeeded');
}
