/**
 * The Slack stand-in (slack-standin.ts) as a process of its own, for measurements whose client must not share an
 * event loop with what answers the bot's own calls to Slack: prints `{ apiUrl, hooksUrl }` as one JSON line, then
 * `{ hook: <path> }` for every response-URL post, and serves until SIGTERM.
 */
import { startSlackStandIn } from './slack-standin.js';

const standin = await startSlackStandIn({ onHook: (path) => process.stdout.write(`${JSON.stringify({ hook: path })}\n`) });
process.stdout.write(`${JSON.stringify({ apiUrl: standin.apiUrl, hooksUrl: standin.hooksUrl })}\n`);
process.on('SIGTERM', () => void standin.stop().then(() => process.exit(0)));
