import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type LineChild, startNode } from '../helpers/child-lines.js';

const SUPERVISE = fileURLToPath(new URL('../../src/supervise.ts', import.meta.url));
/** Stands in for the bot: says its pid, lives until signalled, exits 0 on SIGTERM (as the bot's bounded shutdown does). */
const BOT = `console.log(JSON.stringify({ pid: process.pid })); process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000);`;

/** The image's PID 1: a crashed bot is started again, so the container and the Caddy inside it keep running. */
describe('supervise (the image entry point)', () => {
  let supervisor: LineChild | undefined;
  afterEach(() => {
    supervisor?.kill('SIGKILL');
  });

  it('starts the bot again after kill -9, and on SIGTERM stops it and exits with its code', async () => {
    supervisor = startNode(SUPERVISE, [process.execPath, '-e', BOT], { ...process.env, DECKHAND_SUPERVISE_DELAY_MS: '50', DECKHAND_SUPERVISE_STARTUP_MS: '0' });
    const first = (await supervisor.waitFor((line) => typeof line.pid === 'number', 10_000)) as { pid: number };
    process.kill(first.pid, 'SIGKILL');
    const second = (await supervisor.waitFor((line) => typeof line.pid === 'number' && line.pid !== first.pid, 10_000)) as { pid: number };
    expect(second.pid).not.toBe(first.pid);
    supervisor.kill('SIGTERM');
    expect(await supervisor.exited).toBe(0);
    expect(() => process.kill(second.pid, 0)).toThrow();
  });

  it('does not loop on a bot that fails at start (bad configuration): it exits with that code', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', SUPERVISE, process.execPath, '-e', 'process.exit(3)'], { stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(3);
  });
});
