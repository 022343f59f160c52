// `node --import ./register.mjs`: records the URL of every module the process resolves into $DECKHAND_IMPORT_LOG
// (`%p` in it stands for the process id, so a process and the children it starts keep separate logs).
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url, { data: { log: process.env.DECKHAND_IMPORT_LOG?.replaceAll('%p', String(process.pid)) } });
