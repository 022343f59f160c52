import { runCli } from './cli.js';

const code = await runCli(process.argv.slice(2), {
  io: { out: (text) => process.stdout.write(`${text}\n`), err: (text) => process.stderr.write(`${text}\n`) },
});
process.exitCode = code;
