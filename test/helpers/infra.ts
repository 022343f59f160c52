import { existsSync } from 'node:fs';
import postgres from 'postgres';

/** CI sets DECKHAND_REQUIRE_INFRA=1: a suite that would skip for lack of Docker or Postgres fails instead. */
export const infraRequired = process.env.DECKHAND_REQUIRE_INFRA === '1';

export const postgresUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

async function probe(name: string, check: () => Promise<void>): Promise<boolean> {
  try {
    await check();
    return true;
  } catch (error) {
    const reason = `${name} is not reachable: ${(error as Error).message}`;
    if (infraRequired) throw new Error(`${reason} (DECKHAND_REQUIRE_INFRA=1, so this suite must not skip)`);
    console.warn(`\n!!!!!!!! SKIPPING ${name} SUITES: ${reason}. Set DECKHAND_REQUIRE_INFRA=1 to make this a failure. !!!!!!!!\n`);
    return false;
  }
}

let postgresProbe: Promise<boolean> | undefined;
export function havePostgres(): Promise<boolean> {
  postgresProbe ??= probe('Postgres', async () => {
    const sql = postgres(postgresUrl, { max: 1, connect_timeout: 3, onnotice: () => undefined });
    try {
      await sql`select 1`;
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
  return postgresProbe;
}

export const dockerSocket = process.env.DOCKER_SOCKET || '/var/run/docker.sock';

let dockerProbe: Promise<boolean> | undefined;
export function haveDocker(): Promise<boolean> {
  dockerProbe ??= probe('Docker', async () => {
    if (!existsSync(dockerSocket)) throw new Error(`no socket at ${dockerSocket}`);
    const { default: Docker } = await import('dockerode');
    await new Docker({ socketPath: dockerSocket }).ping();
  });
  return dockerProbe;
}
