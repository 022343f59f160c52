import type { Deployment } from '../../domain/deployment.js';
import { shortSha } from '../../domain/refs/git-ref.js';
import { ROLLBACK_OPEN } from './blocks/deploy-list.js';
import { type Block, actions, button, esc } from './blocks/common.js';

/** "Show full log" and "Retry" on a failed deploy's parent message. */
export const SHOW_LOG = 'deploy_show_log';
export const RETRY_DEPLOY = 'deploy_retry';

export interface ShowLogValue {
  app: string;
  id: number;
}

export interface RetryValue {
  app: string;
  /** The ref as the person typed it; absent for the app's default branch or image. */
  ref?: string;
}

/** What broke, as the start of a sentence (the code may follow in backticks). */
const WHAT_FAILED: Record<string, string> = {
  build_failed: 'the build failed',
  health_check_failed: 'the new container never passed its health check',
  start_failed: 'the new container did not start',
  release_failed: 'its release command failed',
  image_unavailable: 'its image could not be found or pulled',
  registry_auth_failed: 'the registry refused the credentials for its image',
  traffic_switch_failed: 'traffic could not be moved to the new container',
  watch_failed: 'the watch window saw it fail after traffic moved',
  source_unavailable: 'its source could not be fetched',
  interrupted: 'it was interrupted before it finished',
  cancelled: 'it was cancelled',
  superseded: 'a newer deploy succeeded first',
  database_unavailable: 'deckhand lost its database',
  docker_unavailable: 'Docker did not answer',
  disk_full: 'a disk deckhand writes to was full',
};

/** One sentence: what failed, why (redacted and escaped by `safe`), and what still serves. */
export function failureSentence(d: Deployment, kind: 'deploy' | 'rollback', serving: Deployment | undefined, safe: (text: string) => string, target?: number): string {
  const what = kind === 'rollback' ? `Rollback #${d.id} of ${esc(d.app)}${target ? ` to #${target}` : ''}` : `Deploy #${d.id} of ${esc(d.app)}`;
  const code = d.errorCode ?? 'internal';
  const opener = WHAT_FAILED[code] ?? 'it failed';
  const detail = d.error ? ` (${safe(d.error.split('\n')[0]!)})` : '';
  const verb = { superseded: 'did not run', reverted: 'was reverted', cancelled: 'was cancelled' }[d.status as string] ?? 'failed';
  return `${what} ${verb}: ${opener}${detail}; ${stillServing(d.app, serving)} \`${esc(code)}\``;
}

/** "#11 (`abc1234`) is still serving." */
export function stillServing(app: string, serving: Deployment | undefined): string {
  if (!serving) return `no earlier deploy of ${esc(app)} serves, so nothing changed for users.`;
  const what = serving.commitSha ? `\`${shortSha(serving.commitSha)}\`` : esc(serving.imageRef ?? 'image');
  return `the previous deploy #${serving.id} (${what}) is still serving.`;
}

/** The next steps: roll back (to the deploy before the one serving), read the whole log, try again. */
export function nextStepButtons(d: Deployment, kind: 'deploy' | 'rollback', options: { rollbackTo?: number; retryRef?: string; retryTarget?: number }): Block {
  const buttons: Block[] = [];
  if (kind === 'rollback') {
    if (options.retryTarget) buttons.push(button(`Retry rollback to #${options.retryTarget}`, ROLLBACK_OPEN, { app: d.app, id: options.retryTarget }));
  } else if (options.rollbackTo) {
    buttons.push(button(`Roll back to #${options.rollbackTo}`, ROLLBACK_OPEN, { app: d.app, id: options.rollbackTo }, 'danger'));
  }
  buttons.push(button('Show full log', SHOW_LOG, { app: d.app, id: d.id } satisfies ShowLogValue));
  if (kind === 'deploy') buttons.push(button('Retry', RETRY_DEPLOY, { app: d.app, ...(options.retryRef ? { ref: options.retryRef } : {}) } satisfies RetryValue, 'primary'));
  return actions(buttons, `next-${d.id}`);
}

/** The uploaded log: the build log and the new container's log, each under its own heading. */
export function failureUpload(build: string[], dropped: number, container: string[]): string {
  const parts: string[] = [];
  if (build.length) parts.push(`=== build log (${build.length + dropped} lines) ===`, ...(dropped ? [`[${dropped} earlier lines dropped]`] : []), ...build);
  if (container.length) parts.push(`=== last ${container.length} lines of the new container's log ===`, ...container);
  return parts.length ? `${parts.join('\n')}\n` : '';
}
