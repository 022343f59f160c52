// `node --import ./register.mjs`: records the URL of every module the process resolves into $DECKHAND_IMPORT_LOG.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url, { data: { log: process.env.DECKHAND_IMPORT_LOG } });
