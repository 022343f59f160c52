import { performance } from 'node:perf_hooks';
import type { AppSpec } from '../../src/domain/apps.js';
import { isTerminal } from '../../src/domain/deployment.js';
import { eq } from 'drizzle-orm';
import { locks } from '../../src/adapters/db/schema.js';
import { appLeaseName } from '../../src/domain/locks/lease.js';
import { startBot } from '../../test/helpers/slack-bot.js';
import { buttonClick, buttonsOf, postToBolt, slashCommand } from '../../test/helpers/slack-requests.js';
import { startSlackStandIn } from '../../test/helpers/slack-standin.js';
import type { Services } from '../../src/compose.js';
import { createTestServices } from '../../test/helpers/services.js';
import type { BenchContext } from './context.js';

export type BenchBot = Awaited<ReturnType<typeof startBenchBot>>;

/** The response_url of a request body, pointed at the stand-in (the helpers' bodies point at msw's host). */
function withHooks(body: string, hooksUrl: string): string {
  const params = new URLSearchParams(body);
  if (params.has('payload')) {
    const payload = JSON.parse(params.get('payload')!);
    payload.response_url = payload.response_url.replace(/^https:\/\/hooks\.slack\.test/, hooksUrl);
    params.set('payload', JSON.stringify(payload));
  } else {
    params.set('response_url', params.get('response_url')!.replace(/^https:\/\/hooks\.slack\.test/, hooksUrl));
  }
  return params.toString();
}

/**
 * A warm bot as in production: real services (Postgres when reachable, else PGlite), the real Bolt app on
 * 127.0.0.1, and a real HTTP stand-in for the Slack Web API and response URLs (no in-process interception). Torn
 * down at the end.
 */
export async function startBenchBot(ctx: BenchContext, apps: AppSpec[], options: { env?: Record<string, string>; services?: Services } = {}) {
  const standin = await startSlackStandIn();
  ctx.defer(() => standin.stop());
  let services = options.services;
  if (!services) {
    const created = await createTestServices({ apps, env: options.env });
    ctx.defer(() => created.dispose());
    services = created;
  }
  const bot = await startBot(services, { apiUrl: standin.apiUrl, streamIntervalMs: 1000 });
  // As main.ts on SIGTERM: Slack words still queued get one last try; a bench does not wait out the pacing.
  ctx.defer(async () => {
    bot.context.gateway.outbox.close();
    await Promise.race([bot.idle(), new Promise((r) => setTimeout(r, 5_000))]);
    await bot.app.stop();
  });
  const post = async (body: string) => {
    const t = performance.now();
    const answer = await postToBolt(bot.url, withHooks(body, standin.hooksUrl));
    if (answer.status !== 200) throw new Error(`bot answered ${answer.status}: ${answer.text}`);
    return { ...answer, ms: performance.now() - t };
  };
  return {
    services,
    bot,
    standin,
    command: (name: string, text: string, channel = 'C1BENCH') => post(slashCommand(name, text, 'U1BENCH', channel)),
    click: (button: { action_id: string; value: string }, channel = 'C1BENCH') => post(buttonClick(button, 'U1BENCH', channel)),
    /** Resolves once the app's newest deploy is finished (the lease is free again); Slack words may still be queued. */
    async settled(app: string) {
      const deadline = performance.now() + 60_000;
      while (performance.now() < deadline) {
        const [newest] = await services.store.list(app, 1);
        // Finished, and the app's lease released (the old container is stopped after the result): the next
        // command would otherwise be refused as deploy_in_progress.
        const held = await services.database.db.select().from(locks).where(eq(locks.name, appLeaseName(app)));
        if (newest && isTerminal(newest.status) && held.length === 0) return newest;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`${app}: the deploy did not finish within 60 s`);
    },
    /** The rollback card's Confirm button, from what the bot sent to the command's response_url. */
    async confirmButton(app: string, target: number) {
      const before = standin.posts.length;
      await post(slashCommand('/rollback', `${app} ${target}`, 'U1BENCH', 'C1BENCH'));
      const deadline = performance.now() + 30_000;
      while (performance.now() < deadline) {
        for (const p of standin.posts.slice(before)) {
          const confirm = buttonsOf(JSON.parse(p.body)).find((b) => b.action_id === 'rollback_confirm');
          if (confirm) return confirm;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      throw new Error(`no rollback card for ${app} #${target}: ${standin.posts.slice(before).map((p) => p.body).join('\n')}`);
    },
  };
}
