import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { DeckhandError } from '../../src/domain/errors.js';

const SECRET = 'g-unit-pw-5d1e0c77';

/** The config_invalid message loadEnv throws for these variables (the test fails when it does not throw). */
function refusal(vars: Record<string, string>): string {
  try {
    loadEnv(vars);
  } catch (error) {
    expect(error).toBeInstanceOf(DeckhandError);
    expect((error as DeckhandError).code).toBe('config_invalid');
    const message = (error as DeckhandError).message;
    expect(message).not.toContain(SECRET);
    return message;
  }
  throw new Error('loadEnv accepted it');
}

describe('DECKHAND_REGISTRY_AUTH and DECKHAND_REGISTRY_CA at start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'g-unit-ca-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parses one entry per registry host', () => {
    const env = loadEnv({ DECKHAND_REGISTRY_AUTH: JSON.stringify({ 'registry.example.com': { username: 'ci', password: SECRET }, '127.0.0.1:5000': { username: 'u', password: 'p' } }) });
    expect(env.DECKHAND_REGISTRY_AUTH).toEqual({ 'registry.example.com': { username: 'ci', password: SECRET }, '127.0.0.1:5000': { username: 'u', password: 'p' } });
    expect(loadEnv({}).DECKHAND_REGISTRY_AUTH).toEqual({});
    expect(loadEnv({ DECKHAND_REGISTRY_AUTH: '' }).DECKHAND_REGISTRY_AUTH).toEqual({});
  });

  it('refuses broken JSON without quoting it', () => {
    expect(refusal({ DECKHAND_REGISTRY_AUTH: `{"r.example.com": {"username": "ci", "password": "${SECRET}"` })).toBe(
      'Invalid environment:\n  DECKHAND_REGISTRY_AUTH: is not valid JSON; expected {"host:port": {"username": "...", "password": "..."}}',
    );
  });

  it('names the host and the field of a bad entry, never a value', () => {
    const message = refusal({
      DECKHAND_REGISTRY_AUTH: JSON.stringify({
        'https://r.example.com/v2': { username: 'ci', password: SECRET },
        'a.example.com': { username: 'ci' },
        'b.example.com': { username: 'ci', password: SECRET, token: SECRET },
        'c.example.com': SECRET,
        'd.example.com': { username: '', password: 7 },
      }),
    });
    expect(message.split('\n').slice(1)).toEqual([
      '  DECKHAND_REGISTRY_AUTH: "https://r.example.com/v2" is not a registry host (host or host:port, no scheme or path)',
      '  DECKHAND_REGISTRY_AUTH: a.example.com: password must be a string (expected {"username": "...", "password": "..."})',
      '  DECKHAND_REGISTRY_AUTH: b.example.com: unknown key(s) token (expected {"username": "...", "password": "..."})',
      '  DECKHAND_REGISTRY_AUTH: c.example.com: must be an object (expected {"username": "...", "password": "..."})',
      '  DECKHAND_REGISTRY_AUTH: d.example.com: username must not be empty; password must be a string (expected {"username": "...", "password": "..."})',
    ]);
    expect(refusal({ DECKHAND_REGISTRY_AUTH: JSON.stringify([SECRET]) })).toContain('must be a JSON object keyed by registry host');
  });

  it('DECKHAND_REGISTRY_CA must be a readable PEM certificate', () => {
    const pem = join(dir, 'ca.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(loadEnv({ DECKHAND_REGISTRY_CA: pem }).DECKHAND_REGISTRY_CA).toBe(pem);
    writeFileSync(join(dir, 'key.pem'), 'not a certificate');
    for (const path of [join(dir, 'missing.pem'), join(dir, 'key.pem'), dir]) {
      expect(refusal({ DECKHAND_REGISTRY_CA: path })).toBe('Invalid environment:\n  DECKHAND_REGISTRY_CA: must be a readable PEM file holding a CA certificate');
    }
  });
});
