/**
 * Stands in for ./cli.js in the shipped CLI (scripts/bundle-cli.mjs resolves main-cli's import of it here): the
 * command runs from its own CommonJS bundle (src/cli.ts with that command's module only), loaded through V8's code
 * cache (code-cache.ts). The command is read by cli.ts's own parser, from the small core bundle (cli.ts with no
 * command), so a command's bundle is picked exactly as runCli would pick the command; help and usage errors run there.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliContext, parseInvocation as ParseInvocation, runCli as RunCli } from '../cli.js';
import { type LoadedBundle, loadBundle } from './code-cache.js';

/** Written by scripts/bundle-cli.mjs: the core bundle and each command's bundle, file names in dist/bundle. */
declare const __DECKHAND_CLI_BUNDLES__: { core: string; commands: Record<string, string> };

interface CliBundle {
  runCli: typeof RunCli;
  parseInvocation: typeof ParseInvocation;
}

const here = dirname(fileURLToPath(import.meta.url));

export async function runCli(argv: string[], context: CliContext): Promise<number> {
  const bundles = __DECKHAND_CLI_BUNDLES__;
  const core = loadBundle<CliBundle>(join(here, bundles.core));
  const invocation = core.exports.parseInvocation(argv);
  const own = invocation?.name !== undefined && !invocation.help && Object.hasOwn(bundles.commands, invocation.name) ? bundles.commands[invocation.name] : undefined;
  const cli: LoadedBundle<CliBundle> = own === undefined ? core : loadBundle<CliBundle>(join(here, own));
  const code = await cli.exports.runCli(argv, context);
  // 0, or 1 (done and said no, as status for an unhealthy app; or failed while running). After a usage error (2) the
  // command never ran: a cache made then would hold almost none of what it runs, and it is written only once.
  if (code === 0 || code === 1) for (const bundle of new Set([core, cli])) bundle.saveCache();
  return code;
}
