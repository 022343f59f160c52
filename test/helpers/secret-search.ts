import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { expect } from 'vitest';

/** Every row of every table of a Postgres database, as JSON text, to search for what must not be stored. */
export async function allRows(url: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    const tables = await sql<{ table_name: string }[]>`select table_name from information_schema.tables where table_schema = 'public'`;
    const out: string[] = [];
    for (const { table_name } of tables) for (const row of await sql.unsafe(`select row_to_json(t)::text as j from "${table_name}" t`)) out.push(String(row.j));
    return out.join('\n');
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Fails when any of `secrets` occurs in `text`, compared byte by byte. */
export function expectNoSecret(text: string, secrets: string[]): void {
  const bytes = Buffer.from(text);
  for (const secret of secrets) expect(bytes.indexOf(Buffer.from(secret)), `a secret appeared in: ${text.slice(0, 200)}`).toBe(-1);
}

/** Captures what the CLI prints, stdout and stderr. */
export function captureIo() {
  const lines: string[] = [];
  return { lines, io: { out: (t: string) => lines.push(t), err: (t: string) => lines.push(t) } };
}

/** A temporary DOCKER_CONFIG directory with `config` as its config.json (or none); `write` replaces it. */
export function dockerConfigDir(config?: unknown): { dir: string; write(config: unknown): void; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'deckhand-g-dockercfg-'));
  const write = (c: unknown) => writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
  if (config !== undefined) write(config);
  return { dir, write, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
