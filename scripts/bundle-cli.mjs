// Bundles the CLI (src/main-cli.ts) into dist/bundle/: one file per command, split by esbuild at each dynamic import.
// Node resolves and evaluates ~1,000 ES modules for a command that talks to the store, Docker and git (drizzle-orm
// alone is 435 files); read from a few files instead, the same command starts about 0.3 s sooner. The bot keeps
// running from dist/ (tsc's output): its start-up is paid once. Packages that load files of their own by path
// (PGlite's WASM) or native addons stay in node_modules.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

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

// Chunk names carry content hashes: without this, every build would leave the previous chunks behind.
rmSync('dist/bundle', { recursive: true, force: true });
await build({
  entryPoints: { 'main-cli': 'src/main-cli.ts' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [englishOnlyZod],
  // Loaded by path or natively, or deferred until first called (src/adapters/docker/dockerode.ts requires dockerode
  // through createRequire, so it is resolved from node_modules at run time and never bundled).
  external: ['@electric-sql/*', 'dockerode', 'ssh2', 'cpu-features'],
  // Bundled CommonJS packages (yaml, postgres' helpers) call require(); give the ES module bundle one.
  banner: { js: "import { createRequire as __deckhandRequire } from 'node:module'; const require = __deckhandRequire(import.meta.url);" },
});
