import { describe, expect, it } from 'vitest';
import { makeRedactor } from '../../src/domain/redact.js';

describe('redaction', () => {
  const redact = makeRedactor({ API_TOKEN: 'sk-abc-1234567890', DB_URL: 'postgres://app:hunter22@db/app', MODE: 'fast', PORT: '8080' });

  it('hides the app\'s env values wherever they appear', () => {
    expect(redact('starting with token sk-abc-1234567890 and sk-abc-1234567890')).toBe('starting with token *** and ***');
    expect(redact('connecting to postgres://app:hunter22@db/app')).toBe('connecting to ***');
  });

  it('leaves short values that are words, not secrets', () => {
    expect(redact('mode fast on port 8080')).toBe('mode fast on port 8080');
  });

  it('hides well-known credential shapes even when they are not in the env', () => {
    expect(redact('token xoxb-1234-5678-abcdefgh leaked')).toBe('token *** leaked');
    expect(redact('git clone https://deploy:s3cr3t@git.example.com/x.git')).toBe('git clone https://deploy:***@git.example.com/x.git');
    expect(redact('AKIAABCDEFGHIJKLMNOP ghp_abcdefghijklmnopqrstuvwx12')).toBe('*** ***');
  });
});
