import type { AppSpec } from '../apps.js';
import { DeckhandError, asDeckhandError } from '../errors.js';
import { cleanLogLine, headAndTail } from '../log-text.js';
import type { PipelineDeps } from './pipeline-types.js';
import { answersAgain } from './health-wait.js';
import { failedProcess } from './process-step.js';
import { removeStarted } from './retire-step.js';
import { drainWeb } from './drain.js';

/** How many of a failed container's last lines are read, to keep its first and last ones. */
const CONTAINER_LOG_READ = 5000;

/** What a release started before it failed: its web, its process containers, and what recreate stopped for it. */
export interface StartedRelease {
  web: string | null;
  /** The port its web listens on (drained before it is removed, when it took traffic). */
  webPort?: number | null;
  processes: readonly string[];
  stoppedForRecreate: readonly string[];
  /** Traffic was switched to its web (then taken back): requests may still be in flight there. */
  served?: boolean;
}

/** What undoing a failed release found: the log lines to record, and the engine gone meanwhile (when it was). */
export interface Undone {
  logTail: string[];
  /** A Docker call of the undo found the engine unreachable (`docker_unavailable`): the first such error. */
  dockerDown?: DeckhandError;
}

/**
 * Undoes a failed release. The evidence is read first (the log of what failed: a process container that died says
 * more than a web that was fine), then everything the release started is removed and what recreate stopped for it is
 * started again and waited for (its health path, within the app's health timeout). Returns the log lines to record
 * (the build's log when no container has one), redacted, and whether Docker was found unreachable on the way.
 */
export async function undoRelease(deps: PipelineDeps, app: AppSpec, started: StartedRelease, buildLog: string[], redact: (text: string) => string, say: (message: string) => void): Promise<Undone> {
  const { runtime } = deps;
  let dockerDown: DeckhandError | undefined;
  const failed = (error: unknown) => {
    const e = asDeckhandError(error);
    if (e.code === 'docker_unavailable') dockerDown ??= e;
    return undefined;
  };
  let logTail = buildLog;
  const quoted = (await failedProcess(runtime, [...started.processes])) ?? started.web;
  if (quoted) {
    // Its first lines and its last: health probes every 5 ms fill an access log, and the start-up lines matter.
    const lines = await runtime.logsTail(quoted, CONTAINER_LOG_READ).catch(failed);
    if (lines) logTail = headAndTail(lines, deps.settings.logTailLines).map((line) => redact(cleanLogLine(line)));
  }
  // A web that took traffic gets the drain first, as a retired one does: what it was answering finishes.
  if (started.served && started.web) {
    if (deps.settings.drainMs > 0) say(`The new version may still be answering requests: it gets the drain (${deps.settings.drainMs / 1000}s) before it is removed`);
    await drainWeb(deps, app, started.webPort ? [started.webPort] : [], 'the new version', say);
  }
  await removeStarted(deps, app, started.web, [...started.processes], say, failed);
  // Recreate stopped only the old web (it held the public port): it is started again, and the failure is reported
  // once it answers its health path there, so "the previous version serves" is true when the thread says it.
  for (const id of started.stoppedForRecreate) {
    try {
      await runtime.restart(id);
    } catch (restartError) {
      failed(restartError);
      say(`Could not restart the previous container: ${asDeckhandError(restartError).message}`);
      continue;
    }
    const answer = await answersAgain(deps, app, id, app.run.port).catch((error: unknown) => ({ ok: false as const, reason: asDeckhandError(error).message }));
    if (answer.ok) say(`The previous container runs again and answers ${app.run.health}`);
    else say(`The previous container was started again, but it does not serve: ${answer.reason}. Check it with deckhand status ${app.name}.`);
  }
  return { logTail, dockerDown };
}

/**
 * What a failed release tells when Docker was found unreachable while it was undone: the engine first (nothing it
 * ran may be serving, and an engine that stops kills its containers: often the very failure seen), then what failed.
 */
export function engineGone(down: DeckhandError, failure: DeckhandError): DeckhandError {
  if (failure.code === 'docker_unavailable') return failure;
  return new DeckhandError('docker_unavailable', `${down.message} Before that, the release had failed: ${failure.message}`, { failedWith: failure.code }, { cause: failure });
}
