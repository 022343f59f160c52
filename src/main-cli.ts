// Thin client first: a running bot may run the command (cli/control-client.ts, Node built-ins only); the CLI's own
// engine, with Docker, git and the store, is imported only when it runs here.
import { setFlagsFromString } from 'node:v8';
import { delegateToBot } from './cli/control-client.js';
import { terminalConfirm } from './cli/terminal.js';

const argv = process.argv.slice(2);
const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);
const delegated = await delegateToBot(argv, process.env, {
  out,
  err,
  confirm: terminalConfirm,
  onInterrupt: (handler) => {
    process.on('SIGINT', handler);
    return () => process.off('SIGINT', handler);
  },
}, process.stdin.isTTY === true);

if (delegated !== undefined) process.exitCode = delegated;
else {
  // A command that runs here is short: WebAssembly (the embedded store's PGlite, when no bot owns it) runs on V8's
  // baseline compiler alone. Its optimizing tier compiled PGlite's hot functions on the second core while the command
  // ran, and cost a break-glass rollback about a second on 2 cores (bench: "reuse rollback, CLI on embedded store").
  // Set before the command's bundles load, so their code cache is made and read under the same flags.
  setFlagsFromString('--liftoff-only');
  const { runCli } = await import('./cli.js');
  process.exitCode = await runCli(argv, { io: { out, err } });
}
