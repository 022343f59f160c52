import { sql } from 'drizzle-orm';
import type { Db } from '../../src/adapters/db/client.js';

/**
 * `rows` finished deployments in one INSERT … SELECT generate_series: half of them for `app` (its newest is a
 * success), the rest spread over 49 other apps; 90 % succeeded, 8 % failed, 2 % cancelled; one a minute back in
 * time. Nothing is left in progress, so nothing looks half-done to recovery.
 */
export async function seedDeployments(db: Db, app: string, rows: number): Promise<void> {
  const others = `${app}-other-`;
  await db.execute(sql`
    insert into deployments (app, status, source, git_ref, commit_sha, commit_subject, image_id, trigger, actor, created_at, started_at, finished_at)
    select case when g % 2 = 0 or g = ${rows} then ${app} else ${others} || (g % 49) end,
           case when g = ${rows} or g % 50 < 45 then 'succeeded' when g % 50 < 49 then 'failed' else 'cancelled' end,
           'git', 'main', md5(g::text) || substr(md5((g + 1)::text), 1, 8), 'release ' || g, 'sha256:' || md5(g::text) || md5((g + 7)::text),
           'slack', 'U1BENCH', now() - make_interval(mins => ${rows} - g + 1), now() - make_interval(mins => ${rows} - g + 1),
           now() - make_interval(mins => ${rows} - g) - interval '30 seconds'
    from generate_series(1, ${rows}) as g`);
  await db.execute(sql`analyze deployments`);
  const result = (await db.execute(sql`select count(*)::int as n from deployments`)) as unknown as { rows?: Array<{ n: number }> } & Array<{ n: number }>;
  const count = (result.rows ?? result)[0]!.n;
  if (count < rows) throw new Error(`seeding left ${count} deployment rows, not ${rows}`);
}
