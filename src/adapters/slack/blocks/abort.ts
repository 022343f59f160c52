import { type Block, actions, button } from './common.js';

/** The Abort button on a running deploy's progress message. */
export const ABORT_DEPLOY = 'deploy_abort';

export interface AbortValue {
  app: string;
  id: number;
}

/** The actions block a running deploy's parent message carries: one Abort button. */
export function abortButton(app: string, id: number): Block {
  return actions([button('Abort', ABORT_DEPLOY, { app, id } satisfies AbortValue, 'danger')]);
}
