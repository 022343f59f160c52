import { join } from 'node:path';
import { type Services, createServices } from '../../src/compose.js';
import { loadEnv } from '../../src/config/env.js';
import type { AppSpec } from '../../src/domain/apps.js';
import { tempDir } from './apps.js';
import type { BenchContext } from './context.js';

/** Services on the embedded store (PGlite files under a fresh data dir, owned by this process), as a bot without DATABASE_URL runs. */
export async function embeddedServices(ctx: BenchContext, apps: AppSpec[], env: Record<string, string> = {}): Promise<Services> {
  const dir = tempDir(ctx, 'embedded');
  const services = await createServices({
    apps,
    env: loadEnv({ DATABASE_URL: '', DECKHAND_DATA_DIR: join(dir, 'data'), DECKHAND_PROXY: 'none', DECKHAND_PUBLIC_HOST: '127.0.0.1', ...env }),
  });
  ctx.defer(() => services.close());
  return services;
}
