import { type ChildProcess, spawn } from 'node:child_process';

/**
 * PID 1 of deckhand's image: `node dist/supervise.js node dist/main.js`. It runs the bot and starts it again when it
 * crashes (or is killed with -9), so the container, and the Caddy the bot started inside it, keep running: a bot
 * crash never interrupts traffic. SIGTERM/SIGINT are passed on to the bot, and the supervisor exits with the bot's
 * code once it has stopped (the bot's own shutdown is bounded). Nothing else lives here on purpose.
 */
const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: supervise <command> [args...]\n');
  process.exit(2);
}

const RESTART_DELAY_MS = Number(process.env.DECKHAND_SUPERVISE_DELAY_MS ?? 1000);
const STARTUP_MS = Number(process.env.DECKHAND_SUPERVISE_STARTUP_MS ?? 5000);
let child: ChildProcess | undefined;
let stopping = false;

function run(): void {
  const startedAt = Date.now();
  child = spawn(command!, args, { stdio: 'inherit' });
  child.once('error', (error) => process.stderr.write(`deckhand: supervise: ${error.message}\n`));
  child.once('exit', (code, signal) => {
    if (stopping) process.exit(code ?? 0);
    // A clean exit, or one right at start (bad configuration), is not a crash: restarting would not help.
    if (signal === null && (code === 0 || Date.now() - startedAt < STARTUP_MS)) process.exit(code ?? 0);
    process.stderr.write(`deckhand: supervise: the bot stopped (${signal ?? `exit ${code}`}); starting it again\n`);
    setTimeout(run, RESTART_DELAY_MS);
  });
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    stopping = true;
    if (!child || child.exitCode !== null || child.signalCode !== null) process.exit(0);
    child.kill(signal);
  });
}

run();
