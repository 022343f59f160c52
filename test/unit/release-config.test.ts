import { describe, expect, it } from 'vitest';
import { parseAppsFile } from '../../src/config/apps-file.js';

const app = (release: string) => `apps:\n  web:\n    source: { image: "127.0.0.1:5000/web" }\n    run: { port: 8080, release: ${release} }\n`;

describe('run.release in the apps file', () => {
  it('is an argv array, kept as given', () => {
    expect(parseAppsFile(app('["npm", "run", "migrate"]'), 'f.yml')[0]!.run.release).toEqual(['npm', 'run', 'migrate']);
    expect(parseAppsFile('apps:\n  web:\n    source: { image: x }\n    run: { port: 1 }\n', 'f.yml')[0]!.run.release).toBeUndefined();
  });

  it('refuses a shell string or an empty array with config_invalid naming the key', () => {
    for (const bad of ['"npm run migrate"', '[]', '[""]']) {
      expect(() => parseAppsFile(app(bad), 'f.yml')).toThrow(expect.objectContaining({ code: 'config_invalid', message: expect.stringContaining('run.release') }));
    }
  });
});
