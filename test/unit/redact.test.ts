import { describe, expect, it } from 'vitest';
import { appRedactor, makeRedactor } from '../../src/domain/redact.js';

describe('redaction', () => {
  const redact = makeRedactor({ API_TOKEN: 'sk-abc-1234567890', DB_URL: 'postgres://app:hunter22@db/app', MODE: 'fast', PORT: '8080' });

  it('hides the app\'s env values wherever they appear', () => {
    expect(redact('starting with token sk-abc-1234567890 and sk-abc-1234567890')).toBe('starting with token *** and ***');
    expect(redact('connecting to postgres://app:hunter22@db/app')).toBe('connecting to ***');
  });

  it('hides values as substrings whatever their length: short values are secrets too', () => {
    expect(redact('mode fast on port 8080')).toBe('mode *** on port ***');
    expect(redact('breakfast:8080/x')).toBe('break***:***/x');
    const tiny = makeRedactor({ FLAG: 'on', LEVEL: '7', KEY: 'Qz' });
    expect(tiny('FLAG=on LEVEL=7 key=xQzx')).toBe('FLAG=*** LEVEL=*** key=x***x');
    expect(tiny('connection 1707')).toBe('c***necti*** 1***0***');
  });

  it('replaces overlapping values longest first, in one pass (a replacement is never scanned again)', () => {
    const nested = makeRedactor({ A: 'abc', B: 'abcdef', C: '*' });
    expect(nested('xabcdefx abc')).toBe('x***x ***');
    expect(nested('a*b')).toBe('a***b');
  });

  it('treats env values as literal text, not patterns', () => {
    expect(makeRedactor({ A: 'a.c', B: '(x|y)' })('abc a.c (x|y) x')).toBe('abc *** *** x');
  });

  it('keeps empty values and declared public values readable', () => {
    expect(makeRedactor({ EMPTY: '', PORT: '8080' }, { publicValues: ['8080'] })('port 8080')).toBe('port 8080');
  });

  it('an app\'s redactor hides all of run.env except its own port number, which deckhand publishes', () => {
    const app = appRedactor({ run: { port: 18080, health: '/', healthTimeoutMs: 1000, env: { PORT: '18080', DEBUG: '1', TOKEN: 'Zq' } } });
    expect(app('listening on 18080, token Zq, debug 1')).toBe('listening on 18080, token ***, debug ***');
    expect(app('port 180801')).toBe('port 18080***');
  });

  it('hides well-known credential shapes even when they are not in the env', () => {
    expect(redact('token xoxb-1234-5678-abcdefgh leaked')).toBe('token *** leaked');
    expect(redact('git clone https://deploy:s3cr3t@git.example.com/x.git')).toBe('git clone https://deploy:***@git.example.com/x.git');
    expect(redact('AKIAABCDEFGHIJKLMNOP ghp_abcdefghijklmnopqrstuvwx12')).toBe('*** ***');
  });
});
