import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSecretReader } from '../../src/config/secret-reader.js';
import type { AppSpec } from '../../src/domain/apps.js';
import { safeToTouch } from '../../src/domain/deploy/serving.js';
import { isDeckhandError } from '../../src/domain/errors.js';
import { appRedactor } from '../../src/domain/redact.js';
import { resolveEnv } from '../../src/domain/secret-env.js';

const dir = mkdtempSync(join(tmpdir(), 'secret-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'db'), 'file-secret-value-19\n');

const app = (over: Partial<AppSpec> = {}): AppSpec => ({
  name: `se-${process.pid}`,
  source: { kind: 'image', image: 'x:1', pull: 'missing' },
  run: { port: 8080, health: '/', healthTimeoutMs: 1000, env: { MODE: 'web', SHARED: 'plain' }, secretEnv: { TOKEN: { fromEnv: 'SE_TOKEN' }, DB: { fromFile: join(dir, 'db') } } },
  processes: [{ name: 'worker', command: ['work'], replicas: 1, env: { MODE: 'jobs' }, secretEnv: { EXTRA: { fromEnv: 'SE_EXTRA' } }, healthyAfterMs: 5000 }],
  migrations: { paths: [] },
  ...over,
});

describe('secret env sources', () => {
  const reader = createSecretReader((name) => ({ SE_TOKEN: 'env-secret-value-42', SE_EXTRA: 'extra-secret-77' })[name]);

  it('builds the web and process env: literal values, then sources; a process env merges over the web env', () => {
    const env = resolveEnv(app(), reader);
    expect(env.web).toEqual({ MODE: 'web', SHARED: 'plain', TOKEN: 'env-secret-value-42', DB: 'file-secret-value-19' });
    expect(env.processes.get('worker')).toEqual({ MODE: 'jobs', SHARED: 'plain', TOKEN: 'env-secret-value-42', DB: 'file-secret-value-19', EXTRA: 'extra-secret-77' });
    expect(env.secrets.sort()).toEqual(['env-secret-value-42', 'extra-secret-77', 'file-secret-value-19']);
  });

  it('every value read is redacted by the app redactor from then on, including inside words', () => {
    resolveEnv(app(), reader);
    const redact = appRedactor(app());
    expect(redact('token=env-secret-value-42 db=file-secret-value-19; xextra-secret-77x on port 8080')).toBe('token=*** db=***; x***x on port 8080');
  });

  it('a missing variable or an unreadable file fails naming the key and the source, never a value', () => {
    const missing = (() => {
      try {
        resolveEnv(app(), createSecretReader(() => undefined));
      } catch (error) {
        return error;
      }
    })();
    expect(isDeckhandError(missing, 'secret_unavailable')).toBe(true);
    expect((missing as Error).message).toContain('run.env.TOKEN (fromEnv SE_TOKEN)');
    expect((missing as Error).message).toContain('environment variable SE_TOKEN is not set');

    for (const [path, reason] of [[join(dir, 'nope'), 'it does not exist'], [dir, 'it is a directory']] as const) {
      const spec = app({ processes: [] });
      spec.run.secretEnv = { DB: { fromFile: path } };
      expect(() => resolveEnv(spec, reader)).toThrow(`run.env.DB (fromFile ${path}) could not be read: cannot read file ${path}: ${reason}`);
    }
    const worker = app();
    worker.processes![0]!.secretEnv = { EXTRA: { fromEnv: 'SE_GONE' } };
    expect(() => resolveEnv(worker, reader)).toThrow('processes.worker.env.EXTRA (fromEnv SE_GONE)');
  });
});

describe('what may be touched when processes run', () => {
  const serving = { known: true as const, containerIds: new Set(['web-2']), port: 1, deploymentIds: new Set([2]) };
  it('never a process container of the release that serves; those of other releases, yes', () => {
    expect(safeToTouch(serving, { id: 'web-2', running: true, deploymentId: 2, process: 'web' })).toBe(false);
    expect(safeToTouch(serving, { id: 'w-2', running: true, deploymentId: 2, process: 'worker' })).toBe(false);
    expect(safeToTouch(serving, { id: 'w-1', running: true, deploymentId: 1, process: 'worker' })).toBe(true);
    expect(safeToTouch(serving, { id: 'web-1', running: true, deploymentId: 1 })).toBe(true);
    expect(safeToTouch({ known: false, reason: 'x' }, { id: 'w-1', running: true, deploymentId: 1, process: 'worker' })).toBe(false);
  });
});
