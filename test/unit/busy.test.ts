import { describe, expect, it } from 'vitest';
import { busyMessage } from '../../src/domain/deploy/busy.js';

const held = (holder: string | undefined) => ({ holder: async () => (holder ? { holder, expiresAt: new Date() } : undefined) });

describe('why an app is busy when no deploy of it is in flight', () => {
  it("names deckhand's own work by the label it took the lease under, never as a running deploy", async () => {
    expect(await busyMessage(held('deckhand:watchdog@host~4026531836/812/0b7e2f64-5c9c-4d4e-9a4f-2f3cb5f0d0a1'), 'web')).toBe(
      "web is busy: deckhand's watchdog is repairing it (a repair waits for requests still open on a version it stops, up to the app's stop timeout). Wait a few seconds, then retry.",
    );
    expect(await busyMessage(held('deckhand:schedule@h/1/0b7e2f64-5c9c-4d4e-9a4f-2f3cb5f0d0a1'), 'web')).toMatch(/^web is busy: the nightly prune is reading its images\./);
    expect(await busyMessage(held('deckhand:boot@h/1/0b7e2f64-5c9c-4d4e-9a4f-2f3cb5f0d0a1'), 'web')).toBe('web is busy: deckhand is checking what runs after its start. Wait a few seconds, then retry.');
  });

  it('names the deploy in flight, and who started it, when there is one', async () => {
    expect(await busyMessage(held('U-ops@h/1/0b7e2f64-5c9c-4d4e-9a4f-2f3cb5f0d0a1'), 'web', { id: 7, actor: 'U-ops' })).toBe('A deploy of web is already running (#7, started by U-ops). Wait for it to finish, then retry.');
  });

  it('otherwise says what may hold it and who, or only what when the holder is gone meanwhile', async () => {
    expect(await busyMessage(held('cli:ops@laptop@h/77/0b7e2f64-5c9c-4d4e-9a4f-2f3cb5f0d0a1'), 'web')).toBe(
      'web is busy: a deploy, rollback, recovery or prune of it is starting (by cli:ops@laptop). Wait a few seconds, then retry.',
    );
    expect(await busyMessage(held(undefined), 'web')).toBe('web is busy: a deploy, rollback, recovery or prune of it is starting. Wait a few seconds, then retry.');
    expect(await busyMessage({ holder: () => Promise.reject(new Error('db down')) }, 'web')).toMatch(/^web is busy: a deploy, rollback/);
  });
});
