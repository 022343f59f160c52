import { join } from 'node:path';
import type { AppSpec } from '../../src/domain/apps.js';
import { createScratchDatabase } from '../../test/helpers/db.js';
import { ensureBuilt, tempDir, writeAppsFile } from './apps.js';
import type { BenchContext } from './context.js';
import { spawnTimed } from './measure.js';

export type StoreKind = 'embedded' | 'postgres';

export interface CliSetup {
  /** `node bin/deckhand.js <args>` timed; resolves when it exited. */
  start(args: string[]): ReturnType<typeof spawnTimed>;
  run(args: string[]): Promise<string>;
  env: NodeJS.ProcessEnv;
}

/**
 * The real CLI process (bin/deckhand.js, as README's users run it) over its own data dir and apps file, on the
 * embedded store (PGlite under the data dir, owned by the CLI itself: no bot runs) or a scratch Postgres database.
 */
export async function cliSetup(ctx: BenchContext, kind: StoreKind, apps: AppSpec[]): Promise<CliSetup> {
  const bin = ensureBuilt();
  const dir = tempDir(ctx, `cli-${kind}`);
  let url = '';
  if (kind === 'postgres') {
    const scratch = await createScratchDatabase('bench_cli');
    ctx.defer(() => scratch.drop());
    url = scratch.url;
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: url,
    DECKHAND_CONFIG: writeAppsFile(dir, apps),
    DECKHAND_DATA_DIR: join(dir, 'data'),
    DECKHAND_PROXY: 'none',
  };
  const start = (args: string[]) => spawnTimed(process.execPath, [bin, ...args], { env, cwd: dir });
  return {
    env,
    start,
    run: async (args) => {
      const { code, output } = await start(args).exited;
      if (code !== 0) throw new Error(`deckhand ${args.join(' ')} exited ${code}:\n${output}`);
      return output;
    },
  };
}
