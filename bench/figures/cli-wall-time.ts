/**
 * `deckhand help` and `deckhand deploys <app>` as README's users run them (node bin/deckhand.js), wall time from
 * spawn to exit. `deploys` runs on Postgres and on the embedded store (owned by the CLI itself: no bot runs),
 * over 1,000 seeded deployment rows, after one untimed run that creates and migrates the store.
 */
import { join } from 'node:path';
import { openDatabase } from '../../src/adapters/db/client.js';
import type { Row } from '../report.js';
import { benchGitApp, benchRepo } from '../support/apps.js';
import { type StoreKind, cliSetup } from '../support/cli.js';
import type { Figure } from '../support/context.js';
import { repeat } from '../support/measure.js';
import { seedDeployments } from '../support/seed.js';

export const cliWallTime: Figure = {
  title: 'CLI wall time: help and deploys',
  async run(ctx) {
    const repo = benchRepo(ctx, [{ body: 'wall' }]);
    const app = await benchGitApp(ctx, ctx.name('wall'), repo);
    const rows: Row[] = [];
    const n = ctx.samples(10, 3);
    const timed = (cli: Awaited<ReturnType<typeof cliSetup>>, args: string[]) =>
      repeat(n, async () => {
        const run = cli.start(args);
        const done = await run.exited;
        if (done.code !== 0) throw new Error(`deckhand ${args.join(' ')} exited ${done.code}:\n${done.output}`);
        return done.at - run.started;
      });
    for (const kind of ['postgres', 'embedded'] as StoreKind[]) {
      const cli = await cliSetup(ctx, kind, [app]);
      await cli.run(['deploys', app.name]);
      if (kind === 'postgres') rows.push({ figure: '`deckhand help`', samples: await timed(cli, ['help']), floor: ctx.floors.node, goal: '≤ 1.5× a bare node start' });
      const database = await openDatabase({ url: cli.env.DATABASE_URL || undefined, dataDir: join(cli.env.DECKHAND_DATA_DIR!, 'db') });
      await seedDeployments(database.db, app.name, 1_000);
      await database.close();
      rows.push({
        figure: `\`deckhand deploys\` (${kind === 'postgres' ? 'Postgres' : 'embedded store'}, 1k rows)`,
        samples: await timed(cli, ['deploys', app.name]),
        floor: ctx.floors.node,
        goal: kind === 'postgres' ? '≤ 0.3 s (Postgres)' : '(no goal; Postgres is the goal)',
      });
    }
    return rows;
  },
};
