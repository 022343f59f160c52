import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DEPLOY_ID, parseDeployId } from '../../src/domain/deploy-id.js';
import { asDeckhandError } from '../../src/domain/errors.js';

const codeOf = (text: string) => {
  try {
    parseDeployId(text);
    return 'ok';
  } catch (error) {
    return asDeckhandError(error).code;
  }
};

describe('deploy ids as people type them', () => {
  it('accepts whole numbers, with or without #', () => {
    expect(parseDeployId('41')).toBe(41);
    expect(parseDeployId('#41')).toBe(41);
    expect(parseDeployId('007')).toBe(7);
    expect(parseDeployId(String(MAX_DEPLOY_ID))).toBe(2_147_483_647);
  });

  it.each(['abc', '-1', '1e3', '4.5', '4.0', '0x10', '', ' ', '+5', '#', '##4', '4 5', 'Infinity', 'NaN'])('"%s" is not an id (invalid_argument)', (text) => {
    expect(codeOf(text)).toBe('invalid_argument');
  });

  it.each(['0', '99999999999', '2147483648', '#000', '1'.repeat(400)])('"%s" cannot exist (not_found)', (text) => {
    expect(codeOf(text)).toBe('not_found');
  });

  it('never returns anything a Postgres integer column would refuse', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          const id = parseDeployId(text);
          return Number.isSafeInteger(id) && id >= 1 && id <= MAX_DEPLOY_ID;
        } catch (error) {
          return ['invalid_argument', 'not_found'].includes(asDeckhandError(error).code);
        }
      }),
    );
  });
});
