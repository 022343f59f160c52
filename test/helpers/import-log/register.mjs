// `node --import ./register.mjs`: records the URL of every module the process resolves into $DECKHAND_IMPORT_LOG
// (`%p` in it stands for the process id, so a process and the children it starts keep separate logs). ES modules are
// seen as they resolve (hooks.mjs); CommonJS modules loaded through require (dockerode, through createRequire) are
// added from the require cache when the process exits (the ones required since this hook was registered, except the
// TypeScript loader's own: tests run the CLI from source through tsx).
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const log = process.env.DECKHAND_IMPORT_LOG?.replaceAll('%p', String(process.pid));
register('./hooks.mjs', import.meta.url, { data: { log } });
if (log) {
  const cache = createRequire(import.meta.url).cache;
  const before = new Set(Object.keys(cache));
  const loader = /\/node_modules\/(tsx|esbuild|@esbuild|get-tsconfig|resolve-pkg-maps)\//;
  process.on('exit', () => {
    const paths = Object.keys(cache).filter((path) => path.startsWith('/') && !before.has(path) && !loader.test(path));
    if (paths.length > 0) appendFileSync(log, `${paths.map((path) => pathToFileURL(path).href).join('\n')}\n`);
  });
}
