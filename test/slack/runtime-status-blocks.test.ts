import { describe, expect, it } from 'vitest';
import { renderRuntimeStatus } from '../../src/adapters/slack/blocks/runtime-status.js';
import { DeckhandError } from '../../src/domain/errors.js';
import type { RuntimeStatus } from '../../src/domain/status/runtime-status.js';

const web = (over: Partial<RuntimeStatus> = {}): RuntimeStatus => ({
  app: 'web',
  checkedAt: new Date('2026-12-06T03:00:00Z'),
  mode: 'proxy',
  serving: [{ name: 'deckhand-web-42', running: true, status: 'running', restartCount: 0, deploymentId: 42, port: 18001 }],
  health: { state: 'healthy', probes: [{ where: 'public', url: 'http://127.0.0.1:8080/healthz', ok: true, detail: 'HTTP 200' }], container: null },
  ...over,
});

describe('/deckhand status without the database', () => {
  it('says why first, then each app: its health and the containers that serve', () => {
    const message = renderRuntimeStatus(new DeckhandError('database_unavailable', 'deckhand cannot reach its database (ECONNREFUSED).'), [web(), web({ app: 'api', serving: [], health: { state: 'down', probes: [{ where: 'public', url: 'http://127.0.0.1:8081/healthz', ok: false, detail: 'ECONNREFUSED' }], container: null, note: 'No container of it runs.' } })]);
    expect(message.text).toBe(':warning: deckhand cannot reach its database (ECONNREFUSED). (`database_unavailable`) What runs now, from Docker and the proxy alone.');
    const sections = message.blocks.filter((b) => b.type === 'section').map((b) => (b.text as { text: string }).text);
    expect(sections).toEqual([
      ':warning: deckhand cannot reach its database (ECONNREFUSED). (`database_unavailable`)\nWhat runs now, read from Docker and the proxy: history, locks and approvals are in the database, which cannot be read. Nothing was changed.',
      '*web* · :large_green_circle: *healthy* · public port 8080: HTTP 200\n*Serving:* *#42* deckhand-web-42 (running, port 18001)',
      '*api* · :red_circle: *down* · public port 8081: ECONNREFUSED · No container of it runs.\n*Serving:* no container',
    ]);
  });

  it('names the serving container once: in the Serving line, not again in the health line', () => {
    const running = { name: 'deckhand-web-42', running: true, status: 'running' as const, restartCount: 2, exitCode: null };
    const message = renderRuntimeStatus(new DeckhandError('database_unavailable', 'down.'), [web({ health: { ...web().health, container: running } })]);
    const row = message.blocks.filter((b) => b.type === 'section').map((b) => (b.text as { text: string }).text)[1]!;
    expect(row).toBe('*web* · :large_green_circle: *healthy* · public port 8080: HTTP 200\n*Serving:* *#42* deckhand-web-42 (running, port 18001)');
    expect(row.match(/deckhand-web-42/g)).toHaveLength(1);
  });

  it('escapes what it did not write itself (the error, app and container names, notes)', () => {
    const message = renderRuntimeStatus(new DeckhandError('disk_full', 'The disk is full: <!channel> & more'), [web({ app: '<@U1>', serving: [{ name: '<!here>', running: true, restartCount: 0, deploymentId: 1, port: 1 }] })]);
    const all = JSON.stringify(message);
    expect(all).not.toMatch(/<!channel>|<!here>|<@U1>/);
    expect(all).toContain('&lt;!channel&gt; &amp; more');
  });
});
