import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reservePort } from '../helpers/ports.js';

/** The test helper's cross-process port reservations (two vitest workers must never be handed the same port). */
describe('reservePort', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'deckhand-ports-test-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

  it('a port reserved by another live process is refused; its holder keeps it', () => {
    const d = dir();
    expect(reservePort(16001, process.ppid, d)).toBe(true);
    expect(reservePort(16001, process.pid, d)).toBe(false);
    expect(readFileSync(join(d, '16001'), 'utf8')).toBe(String(process.ppid));
    expect(reservePort(16001, process.ppid, d)).toBe(true);
    expect(reservePort(16002, process.pid, d)).toBe(true);
  });

  it('a dead process’s reservation is taken over, and nothing is left beside the reservations', () => {
    const d = dir();
    const dead = deadPid();
    expect(reservePort(16003, dead, d)).toBe(true);
    expect(reservePort(16003, process.pid, d)).toBe(true);
    expect(readFileSync(join(d, '16003'), 'utf8')).toBe(String(process.pid));
    expect(readdirSync(d)).toEqual(['16003']);
  });

  it('six processes asking for the same port at once, all alive: exactly one gets it', async () => {
    const d = dir();
    const helper = join(import.meta.dirname, '../helpers/ports.ts');
    // Each answers, then stays alive until the test closes its stdin: no reservation is a dead process's meanwhile.
    const script = `import { reservePort } from ${JSON.stringify(helper)};
      process.stdout.write(String(reservePort(16004, process.pid, ${JSON.stringify(d)})));
      process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;
    const children = Array.from({ length: 6 }, () => spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] }));
    try {
      const answers = await Promise.all(children.map((child) => new Promise<string>((resolve) => child.stdout.once('data', (chunk) => resolve(String(chunk))))));
      expect(answers.sort()).toEqual(['false', 'false', 'false', 'false', 'false', 'true']);
      const holder = Number(readFileSync(join(d, '16004'), 'utf8'));
      expect(children.map((c) => c.pid)).toContain(holder);
    } finally {
      for (const child of children) child.stdin.end();
    }
  });
});
