import { fileURLToPath } from 'node:url';

const LAUNCH = fileURLToPath(new URL('./terminal-launch.mjs', import.meta.url));

/**
 * Runs `node <nodeArgv>` on a real pseudo-terminal (util-linux `script`), so process.stdin.isTTY is true and what
 * the test writes to script's stdin is typed on that terminal. The shell command is a constant: the argv travels in
 * the environment as JSON, never through a shell.
 */
export function inTerminal(nodeArgv: string[]): { command: string; args: string[]; env: Record<string, string> } {
  return {
    command: 'script',
    args: ['-qefc', 'exec "$DECKHAND_TEST_NODE" "$DECKHAND_TEST_LAUNCH"', '/dev/null'],
    env: { DECKHAND_TEST_NODE: process.execPath, DECKHAND_TEST_LAUNCH: LAUNCH, DECKHAND_TEST_ARGV: JSON.stringify(nodeArgv) },
  };
}
