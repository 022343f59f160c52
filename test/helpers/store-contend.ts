import type { Db } from '../../src/adapters/db/client.js';
import { DrizzleLeaseStore } from '../../src/adapters/db/locks-repo.js';
import { deployments } from '../../src/adapters/db/schema.js';

/** Races `n` lease acquisitions and deployment inserts on `db`, tagged with `tag`; returns what it won and the ids. */
export async function contend(db: Db, tag: string, n: number) {
  const leases = new DrizzleLeaseStore(db);
  const now = new Date();
  const later = new Date(now.getTime() + 60_000);
  const won = await Promise.all(Array.from({ length: n }, (_, i) => leases.tryAcquire(`f-store-lease-${i}`, tag, now, later)));
  const ids = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const [row] = await db.insert(deployments).values({ app: `f-store-${tag}`, status: 'succeeded', source: 'image', imageRef: `img:${i}`, trigger: 'cli', actor: tag }).returning({ id: deployments.id });
      return row!.id;
    }),
  );
  return { won: won.flatMap((ok, i) => (ok ? [i] : [])), ids };
}
