import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { parseAppsFile } from '../../src/config/apps-file.js';
import { catalogOf } from '../../src/domain/apps.js';
import { asDeckhandError } from '../../src/domain/errors.js';

const app = (name: string, port: number) => `  ${name}:\n    source: { image: "busybox:1" }\n    run: { port: ${port} }\n`;
const refusal = (text: string) => {
  try {
    parseAppsFile(text, 'deckhand.yml');
  } catch (error) {
    return asDeckhandError(error);
  }
  throw new Error('accepted');
};

describe('app names that are also JavaScript object keys', () => {
  it('__proto__ is refused by name, alone or beside other apps, quoted or not', () => {
    for (const text of [`apps:\n${app('__proto__', 8080)}`, `apps:\n${app('web', 8081)}${app('__proto__', 8080)}`, `apps:\n${app('"__proto__"', 8080)}`]) {
      expect(refusal(text)).toMatchObject({ code: 'config_invalid', message: expect.stringContaining('deckhand.yml: app name "__proto__" is reserved') });
    }
  });

  it('__proto__ anywhere else in the file is refused too (it would vanish silently)', () => {
    const text = `apps:\n  web:\n    source: { image: "busybox:1" }\n    run:\n      port: 8080\n      env: { __proto__: x }\n`;
    expect(refusal(text)).toMatchObject({ code: 'config_invalid', message: 'deckhand.yml: the key "__proto__" is not allowed' });
  });

  it('hasOwnProperty and toString are refused by the name rule', () => {
    for (const name of ['hasOwnProperty', 'toString']) {
      expect(refusal(`apps:\n${app(name, 8080)}`)).toMatchObject({ code: 'config_invalid', message: expect.stringContaining(`app name "${name}" is invalid`) });
    }
  });

  it('constructor is an ordinary app name, and the catalog finds only apps that are configured', () => {
    const apps = parseAppsFile(`apps:\n${app('constructor', 8080)}${app('web', 8081)}`, 'deckhand.yml');
    expect(apps.map((a) => a.name)).toEqual(['constructor', 'web']);
    const catalog = catalogOf(apps);
    expect(catalog.get('constructor')?.run.port).toBe(8080);
    expect(catalog.names()).toEqual(['constructor', 'web']);
    const webOnly = catalogOf(apps.filter((a) => a.name === 'web'));
    for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf']) expect(webOnly.get(name)).toBeUndefined();
  });

  it('the CLI does not take Object.prototype members for commands', async () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const err: string[] = [];
      expect(await runCli([name], { io: { out: () => undefined, err: (t) => err.push(t) } }), name).toBe(2);
      expect(err).toEqual([`deckhand: invalid_argument: Unknown command "${name}". Run "deckhand help".`]);
    }
  });
});
