// Bundles the CLI into dist/bundle/. Node resolves and evaluates ~1,000 ES modules for a command that talks to the
// store, Docker and git (drizzle-orm alone is 435 files); read from a few files instead, the same command starts about
// 0.3 s sooner. The bot keeps running from dist/ (tsc's output): its start-up is paid once. Packages that load files
// of their own by path (PGlite's WASM) or native addons stay in node_modules.
//
// Two parts:
// - main-cli.js, an ES module (bin/deckhand.js imports it): the thin client (src/main-cli.ts), which hands the
//   command to a running bot and loads only Node built-ins for that. Its import of ./cli.js is resolved to
//   src/cli-cache/run-cli.ts, which runs the command here from the second part.
// - CommonJS bundles of src/cli.ts: cli-store.cjs (the commands that need only the store, and the store), cli-all.cjs
//   (every command, with Docker, git and the proxy) and cli-core.cjs (no command: help, usage errors). They
//   are CommonJS so that they can be compiled through V8's code cache (src/cli-cache/code-cache.ts): Node 20 caches
//   no compiled ES module, and parsing and compiling a command's ~1 MB of JS again at each run is most of its start.
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';

// Another directory (under dist/, so that paths relative to the bundle still hold) for tests that build their own.
const FINAL = process.env.DECKHAND_BUNDLE_OUTDIR ?? 'dist/bundle';
// Built beside it, then swapped in: a CLI started meanwhile finds the whole previous bundle or the whole new one.
const OUT = `${FINAL}.building-${process.pid}`;
process.on('exit', () => rmSync(OUT, { recursive: true, force: true })); // a failed build leaves nothing

// zod's `z.locales` namespace re-exports its messages in some 60 languages (360 kB, a quarter of what a store command
// parses). deckhand never selects a language: zod uses English unless told otherwise, so the namespace keeps English.
const englishOnlyZod = {
  name: 'english-only-zod',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /node_modules\/zod\/v4\/(classic|core)$/.test(args.resolveDir) ? { path: 'zod-locales', namespace: 'english-only-zod' } : undefined);
    b.onLoad({ filter: /.*/, namespace: 'english-only-zod' }, () => ({
      contents: "export { default as en } from 'zod/v4/locales/en.js';",
      resolveDir: process.cwd(),
    }));
  },
};

// dockerode and docker-modem are bundled, so that a command that talks to Docker compiles them through the code cache
// too (about 30 ms sooner than requiring them from node_modules). What src/adapters/docker/dockerode.ts keeps out of
// start-up stays out: dockerode's BuildKit session, its buildkit.js (protobufjs; it reads .proto files next to itself)
// and docker-modem's ssh.js (ssh2) are required from node_modules the first time they are used.
const DEFERRED = ['dockerode/lib/session.js', 'dockerode/lib/buildkit.js', 'docker-modem/lib/ssh.js'];
const dockerodeInBundle = {
  name: 'dockerode-in-bundle',
  setup(b) {
    b.onLoad({ filter: /\/src\/adapters\/docker\/dockerode\.ts$/ }, () => ({
      contents: "export { default as Dockerode } from 'dockerode';",
      loader: 'ts',
      resolveDir: resolve('src/adapters/docker'),
    }));
    b.onResolve({ filter: /^\.\/(session|buildkit|ssh)(\.js)?$/ }, (args) => {
      const pkg = /node_modules\/(dockerode|docker-modem)\/lib$/.exec(args.resolveDir)?.[1];
      const real = pkg && `${pkg}/lib/${args.path.slice(2).replace(/\.js$/, '')}.js`;
      if (!real || !DEFERRED.includes(real)) return undefined;
      // buildkit.js is required inside the one function that uses it: already late. The others at load: a stand-in.
      return real.endsWith('/buildkit.js') ? { path: real, external: true } : { path: real, namespace: 'deferred-module' };
    });
    b.onLoad({ filter: /.*/, namespace: 'deferred-module' }, (args) => ({
      contents: `let real;\nmodule.exports = function deferred(...args) {\n  real ??= require(${JSON.stringify(args.path)});\n  return real.apply(this, args);\n};\n`,
      loader: 'js',
    }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // Loaded by path or natively, or left in node_modules until first used (dockerodeInBundle below).
  external: ['@electric-sql/*', 'ssh2', 'cpu-features', ...DEFERRED],
};

// The commands of src/cli.ts (its COMMANDS table): name, what services it needs, its module.
const CLI = resolve('src/cli.ts');
const cliSource = readFileSync(CLI, 'utf8');
const entries = [...cliSource.matchAll(/^\s+'?([\w-]+)'?: \{ needs: '(store|all)', load: async \(\) => \(await import\('(\.\/cli\/commands\/[\w-]+\.js)'\)\)/gm)];
if (entries.length === 0 || entries.length !== cliSource.match(/^\s+'?[\w-]+'?: \{ needs: /gm).length) {
  throw new Error('scripts/bundle-cli.mjs: cannot read the COMMANDS table of src/cli.ts (its form changed?)');
}
const storeModules = new Set(entries.filter(([, , needs]) => needs === 'store').map(([, , , path]) => path));
const commandModules = new Set(entries.map(([, , , path]) => path));
// What servicesFor (src/cli.ts) imports only for commands that need every service.
const ALL_SERVICES = new Set(['./compose.js', './config/apps-file.js', './config/runtime-target.js']);

/**
 * A dynamic import of src/cli.ts that this bundle's command never reaches becomes a module that throws: a store
 * command's bundle has no Docker or git, the core bundle no command at all.
 */
const onlyWhatRuns = (keep) => ({
  name: 'only-what-runs',
  setup(b) {
    b.onResolve({ filter: /^\.\// }, (args) => {
      if (args.importer !== CLI || args.kind !== 'dynamic-import' || keep(args.path)) return undefined;
      return { path: args.path, namespace: 'not-in-this-bundle' };
    });
    b.onLoad({ filter: /.*/, namespace: 'not-in-this-bundle' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`deckhand: internal: ${args.path} is not in this CLI bundle (scripts/bundle-cli.mjs)`)});`,
    }));
  },
});

const commonJs = (name, keep) =>
  build({
    ...common,
    entryPoints: { [name]: 'src/cli.ts' },
    outdir: OUT,
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    // import() of a package left outside becomes require(): code compiled by vm.Script has no ES module loader of
    // its own, and PGlite is then one module (its CommonJS build) for the whole process.
    supported: { 'dynamic-import': false },
    // import.meta.url as in the ES module bundle: this file's URL (dist/bundle/…), so paths relative to it still hold.
    // Less to read, hash and keep in memory at each run (names stay: stack traces and .name read the same).
    minifyWhitespace: true,
    define: { 'import.meta.url': '__deckhandImportMetaUrl' },
    banner: { js: "var __deckhandImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [englishOnlyZod, dockerodeInBundle, onlyWhatRuns(keep)],
  });

const bundles = { core: 'cli-core.cjs', commands: Object.fromEntries(entries.map(([, name, needs]) => [name, `cli-${needs}.cjs`])) };
const builds = [
  commonJs('cli-core', () => false),
  commonJs('cli-store', (path) => storeModules.has(path) || (!commandModules.has(path) && !ALL_SERVICES.has(path))),
  commonJs('cli-all', () => true),
];
await Promise.all(builds);

// main-cli's import of ./cli.js, to the loader of the CommonJS bundles.
const runFromBundles = {
  name: 'run-from-commonjs-bundles',
  setup(b) {
    b.onResolve({ filter: /^\.\/cli\.js$/ }, (args) => (args.importer === resolve('src/main-cli.ts') ? { path: resolve('src/cli-cache/run-cli.ts') } : undefined));
  },
};
await build({
  ...common,
  entryPoints: { 'main-cli': 'src/main-cli.ts' },
  outdir: OUT,
  splitting: true,
  format: 'esm',
  plugins: [englishOnlyZod, runFromBundles],
  define: { __DECKHAND_CLI_BUNDLES__: JSON.stringify(bundles) },
  // Bundled CommonJS packages call require(); give the ES module bundle one.
  banner: { js: "import { createRequire as __deckhandRequire } from 'node:module'; const require = __deckhandRequire(import.meta.url);" },
});

// The previous bundle goes whole (chunk names carry content hashes: kept, every build would leave its chunks behind).
const previous = `${FINAL}.previous-${process.pid}`;
if (existsSync(FINAL)) renameSync(FINAL, previous);
renameSync(OUT, FINAL);
rmSync(previous, { recursive: true, force: true });
