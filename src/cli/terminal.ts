/** The operator's terminal, for the CLI and its thin client alike. Node built-ins only. */

/** Asks a yes/no question on the terminal; undefined when there is none (nobody can answer). */
export async function terminalConfirm(question: string): Promise<boolean | undefined> {
  if (!process.stdin.isTTY) return undefined;
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
