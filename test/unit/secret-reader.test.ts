import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretReader } from '../../src/config/secret-reader.js';

const VALUE = 's3cr3t-a14-value';

describe('secret reader', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'a14-secrets-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The error a read throws: code and message, with the value nowhere in it. */
  const failure = (read: () => string) => {
    try {
      read();
    } catch (error) {
      const { code, message, details } = error as { code: string; message: string; details: unknown };
      expect(`${message} ${JSON.stringify(details)}`).not.toContain(VALUE);
      return { code, message };
    }
    throw new Error('expected the read to fail');
  };

  describe('fromEnv', () => {
    it('reads the variable from the given environment', () => {
      expect(createSecretReader({ A14_DB: VALUE }).read({ fromEnv: 'A14_DB' })).toBe(VALUE);
    });

    it('keeps the value as it is (no trimming of an env value)', () => {
      expect(createSecretReader({ A14_DB: ` ${VALUE}\n` }).read({ fromEnv: 'A14_DB' })).toBe(` ${VALUE}\n`);
    });

    it('reads process.env by default', () => {
      process.env.A14_SECRET_READER_TEST = VALUE;
      try {
        expect(createSecretReader().read({ fromEnv: 'A14_SECRET_READER_TEST' })).toBe(VALUE);
      } finally {
        delete process.env.A14_SECRET_READER_TEST;
      }
    });

    it.each([[{}], [{ A14_DB: '' }]])('a missing or empty variable fails naming it: %j', (env) => {
      expect(failure(() => createSecretReader({ ...env, OTHER: VALUE }).read({ fromEnv: 'A14_DB' }))).toEqual({ code: 'secret_unavailable', message: 'environment variable A14_DB is not set' });
    });
  });

  describe('fromFile', () => {
    it.each([
      [`${VALUE}\n`, VALUE],
      [`${VALUE}\r\n`, VALUE],
      [VALUE, VALUE],
      [`${VALUE}\n\n`, `${VALUE}\n`],
      [`line1\nline2\n`, 'line1\nline2'],
      [` ${VALUE} `, ` ${VALUE} `],
      ['', ''],
    ])('strips one trailing newline from %j', (content, expected) => {
      const path = join(dir, 'value');
      writeFileSync(path, content);
      expect(createSecretReader({}).read({ fromFile: path })).toBe(expected);
    });

    it('reads utf8', () => {
      const path = join(dir, 'utf8');
      writeFileSync(path, 'pässwörd-🔑\n');
      expect(createSecretReader({}).read({ fromFile: path })).toBe('pässwörd-🔑');
    });

    it('follows a symlink, as Kubernetes-style mounted secrets are', () => {
      writeFileSync(join(dir, 'target'), `${VALUE}\n`);
      symlinkSync(join(dir, 'target'), join(dir, 'link'));
      expect(createSecretReader({}).read({ fromFile: join(dir, 'link') })).toBe(VALUE);
    });

    it('a missing file: "it does not exist"', () => {
      const path = join(dir, 'missing');
      expect(failure(() => createSecretReader({}).read({ fromFile: path }))).toEqual({ code: 'secret_unavailable', message: `cannot read file ${path}: it does not exist` });
    });

    it('a directory: "it is a directory"', () => {
      const path = join(dir, 'a-dir');
      mkdirSync(path);
      expect(failure(() => createSecretReader({}).read({ fromFile: path }))).toEqual({ code: 'secret_unavailable', message: `cannot read file ${path}: it is a directory` });
    });

    it('a file below a file: "a part of its path is not a directory"', () => {
      writeFileSync(join(dir, 'plain'), VALUE);
      const path = join(dir, 'plain', 'x');
      expect(failure(() => createSecretReader({}).read({ fromFile: path }))).toEqual({ code: 'secret_unavailable', message: `cannot read file ${path}: a part of its path is not a directory` });
    });

    /**
     * A chmod 000 file. Root reads it anyway (CAP_DAC_OVERRIDE), so as root the read runs with the effective uid of
     * `nobody` for that one synchronous call (vitest runs each file in its own process) and gets the real EACCES.
     */
    it('an unreadable file: "permission denied", without its content', () => {
      const shared = mkdtempSync(join(tmpdir(), 'a14-secrets-perm-'));
      try {
        chmodSync(shared, 0o755);
        const path = join(shared, 'db_password');
        writeFileSync(path, `${VALUE}\n`);
        chmodSync(path, 0o000);
        const asRoot = process.geteuid?.() === 0;
        const read = () => {
          if (asRoot) process.seteuid!(65534);
          try {
            return createSecretReader({}).read({ fromFile: path });
          } finally {
            if (asRoot) process.seteuid!(0);
          }
        };
        expect(failure(read)).toEqual({ code: 'secret_unavailable', message: `cannot read file ${path}: permission denied` });
        if (asRoot) expect(process.geteuid!()).toBe(0); // restored for the rest of the file
      } finally {
        rmSync(shared, { recursive: true, force: true });
      }
    });
  });
});
