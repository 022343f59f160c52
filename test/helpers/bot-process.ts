import { type LineChild, startNode } from './child-lines.js';
import { freePort } from './ports.js';
import { startSlackStandIn } from './slack-standin.js';

export interface BotProcess {
  child: LineChild;
  /** Bolt's HTTP port on 127.0.0.1. */
  port: number;
  slack: Awaited<ReturnType<typeof startSlackStandIn>>;
  /** SIGTERM, then waits for the exit; the Slack stand-in is stopped too. */
  stop(): Promise<void>;
}

/**
 * The real bot (`src/main.ts`, or `entry`) as its own process in HTTP mode on 127.0.0.1, its Web API a real HTTP
 * stand-in; resolves once it listens (its control socket for the CLI is up by then).
 */
export async function startBotProcess(env: NodeJS.ProcessEnv, entry = 'src/main.ts'): Promise<BotProcess> {
  const slack = await startSlackStandIn();
  const port = await freePort();
  const child = startNode(entry, [], { ...env, SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'x', SLACK_API_URL: slack.apiUrl, PORT: String(port) });
  try {
    await child.waitFor((line) => String(line.text ?? '').includes('listening on'), 90_000);
  } catch (error) {
    child.kill('SIGKILL');
    await slack.stop();
    throw error;
  }
  return {
    child,
    port,
    slack,
    stop: async () => {
      child.kill('SIGTERM');
      await child.exited;
      await slack.stop();
    },
  };
}
