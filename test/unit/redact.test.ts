import { describe, expect, it } from 'vitest';
import { SUBSTRING_MIN_LENGTH, appRedactor, makeRedactor } from '../../src/domain/redact.js';

describe('redaction', () => {
  const redact = makeRedactor({ API_TOKEN: 'sk-abc-1234567890', DB_URL: 'postgres://app:hunter22@db/app', MODE: 'fast', PORT: '8080' });

  it('hides the app\'s env values wherever they appear', () => {
    expect(redact('starting with token sk-abc-1234567890 and sk-abc-1234567890')).toBe('starting with token *** and ***');
    expect(redact('connecting to postgres://app:hunter22@db/app')).toBe('connecting to ***');
  });

  it('hides short values too (there is no length below which a value is safe): 4+ characters as substrings', () => {
    expect(SUBSTRING_MIN_LENGTH).toBe(4);
    expect(redact('mode fast on port 8080')).toBe('mode *** on port ***');
    expect(redact('breakfast:18080/x')).toBe('break***:1***/x');
  });

  it('hides values of 1 to 3 characters wherever they stand as themselves, not the same letters inside a word or number', () => {
    const tiny = makeRedactor({ FLAG: 'on', LEVEL: '7', KEY: 'Qz', PW: 'ab' });
    expect(tiny('FLAG=on LEVEL=7 key=Qz&x "on" (7) user:ab@host Bearer Qz.')).toBe('FLAG=*** LEVEL=*** key=***&x "***" (***) user:***@host Bearer ***.');
    expect(tiny('connection 1707 xQzx about')).toBe('connection 1707 xQzx about');
    expect(tiny('on\non')).toBe('***\n***');
  });

  it('replaces overlapping values longest first, in one pass (a replacement is never scanned again)', () => {
    const nested = makeRedactor({ A: 'abcd', B: 'abcdefgh', C: '*' });
    expect(nested('xabcdefghx abcd')).toBe('x***x ***');
    expect(nested('a * b')).toBe('a *** b');
  });

  it('treats env values as literal text, not patterns', () => {
    expect(makeRedactor({ A: 'a.cd', B: '(x|y)' })('abcd a.cd (x|y) x')).toBe('abcd *** *** x');
  });

  it('keeps empty values and declared public values readable', () => {
    expect(makeRedactor({ EMPTY: '', PORT: '8080' }, { publicValues: ['8080'] })('port 8080')).toBe('port 8080');
  });

  it('an app\'s redactor hides all of run.env except its own port number, which deckhand publishes', () => {
    const app = appRedactor({ run: { port: 18080, health: '/', healthTimeoutMs: 1000, env: { PORT: '18080', DEBUG: '1', TOKEN: 'Zq', PASSWORD: '0000' } } });
    expect(app('listening on 18080, token Zq, debug 1, pin 0000')).toBe('listening on 18080, token ***, debug ***, pin ***');
    expect(app('port 180800000')).toBe('port 18080***');
  });

  it('hides well-known credential shapes even when they are not in the env', () => {
    expect(redact('token xoxb-1234-5678-abcdefgh leaked')).toBe('token *** leaked');
    expect(redact('git clone https://deploy:s3cr3t@git.example.com/x.git')).toBe('git clone https://deploy:***@git.example.com/x.git');
    expect(redact('AKIAABCDEFGHIJKLMNOP ghp_abcdefghijklmnopqrstuvwx12')).toBe('*** ***');
  });
});
