import { describe, expect, it } from 'vitest';
import { REPLACEMENT, cleanJson, cleanLogLine, cleanLogLines, cleanText } from '../../src/domain/log-text.js';

describe('log text is data', () => {
  it('replaces NUL and every C0 control except tab with U+FFFD', () => {
    expect(cleanLogLine('a\u0000b\tc\u0007d\u0008e\u001ff\u007f')).toBe(`a${REPLACEMENT}b\tc${REPLACEMENT}d${REPLACEMENT}e${REPLACEMENT}f${REPLACEMENT}`);
  });

  it('replaces lone surrogates (invalid UTF-8 decoded, or a character cut in half) and keeps valid pairs', () => {
    expect(cleanLogLine('x\ud800y\udc00z')).toBe(`x${REPLACEMENT}y${REPLACEMENT}z`);
    expect(cleanLogLine('ok 😀 \ud83d')).toBe(`ok 😀 ${REPLACEMENT}`);
    expect(cleanLogLine('\ude00\ud83d\ude00')).toBe(`${REPLACEMENT}😀`);
  });

  it('drops terminal escape sequences and keeps what a carriage-return progress line shows last', () => {
    expect(cleanLogLine('\u001b[31mred\u001b[0m \u001b]0;title\u0007done')).toBe('red done');
    expect(cleanLogLine(' 10%\r 50%\r100%\r')).toBe('100%');
  });

  it('keeps newlines in multi-line text and splits embedded newlines in log lines', () => {
    expect(cleanText('line one\r\nline\u0000two\nthree')).toBe(`line one\nline${REPLACEMENT}two\nthree`);
    expect(cleanLogLines(['a\nb', 'c\u0000'])).toEqual(['a', 'b', `c${REPLACEMENT}`]);
  });

  it('cleans every string of a JSON value, keys included, and leaves the rest alone', () => {
    const value = { 'k\u0000': ['x\u0000', 1, null, true, { inner: '\ud800' }], n: 2 };
    expect(cleanJson(value)).toEqual({ [`k${REPLACEMENT}`]: [`x${REPLACEMENT}`, 1, null, true, { inner: REPLACEMENT }], n: 2 });
    const date = new Date(0);
    expect(cleanJson(date)).toBe(date);
  });

  it('always yields text Postgres accepts and JSON without \\u0000 or lone surrogates, whatever the bytes', () => {
    for (let seed = 0; seed < 200; seed += 1) {
      const bytes = Buffer.from(Array.from({ length: 64 }, (_, i) => (seed * 31 + i * 97) % 256));
      const text = cleanText(bytes.toString('utf8') + bytes.toString('latin1') + String.fromCharCode(0xd800 + seed));
      expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      expect(JSON.stringify(text)).not.toMatch(/\\u0000|\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i);
      expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text);
    }
  });
});
