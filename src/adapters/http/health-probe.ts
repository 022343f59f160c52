import type { HealthProbe } from '../../domain/ports.js';

/** One GET, no redirects followed; 2xx is healthy. */
export class HttpHealthProbe implements HealthProbe {
  constructor(private readonly attemptTimeoutMs = 2000) {}

  async probe(url: string): Promise<{ ok: boolean; detail: string }> {
    try {
      const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(this.attemptTimeoutMs), headers: { 'user-agent': 'deckhand-health' } });
      await response.body?.cancel();
      return { ok: response.status >= 200 && response.status < 300, detail: `HTTP ${response.status}` };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return { ok: false, detail: cause ?? (error as Error).name ?? 'error' };
    }
  }
}
