import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpHealthProbe } from '../../src/adapters/http/health-probe.js';
import { responseCountsFor } from '../../src/adapters/proxy/caddy-metrics.js';
import { parseAppsFile } from '../../src/config/apps-file.js';
import { systemClock } from '../../src/domain/clock.js';
import { errorRule, watchWindow } from '../../src/domain/deploy/watch.js';

describe('the 5xx rule', () => {
  const at = (total: number, errors: number) => ({ total, errors });
  it('fires over 5% of at least 20 requests counted since the window opened', () => {
    expect(errorRule(at(1000, 900), at(1020, 902))).toBe('2 of 20 requests (10%) answered 5xx during the watch window (the limit is 5% of at least 20)');
    expect(errorRule(at(0, 0), at(40, 40))).toMatch(/^40 of 40 requests \(100%\)/);
  });
  it('does not fire at 5% exactly, under 20 requests, without a reading, or when the counters went back (Caddy restarted)', () => {
    expect(errorRule(at(0, 0), at(20, 1))).toBeUndefined();
    expect(errorRule(at(0, 0), at(19, 19))).toBeUndefined();
    expect(errorRule(null, at(100, 100))).toBeUndefined();
    expect(errorRule(at(0, 0), null)).toBeUndefined();
    expect(errorRule(at(500, 50), at(600, 10))).toBeUndefined();
  });
});

describe("Caddy's metrics text", () => {
  const text = [
    '# HELP caddy_http_response_duration_seconds Histogram of times to first byte in response bodies.',
    'caddy_http_response_duration_seconds_bucket{code="200",handler="reverse_proxy",method="GET",server="deckhand-web",le="0.005"} 7',
    'caddy_http_response_duration_seconds_count{code="200",handler="reverse_proxy",method="GET",server="deckhand-web"} 90',
    'caddy_http_response_duration_seconds_count{code="502",handler="reverse_proxy",method="GET",server="deckhand-web"} 6',
    'caddy_http_response_duration_seconds_count{code="500",handler="reverse_proxy",method="POST",server="deckhand-web"} 4',
    'caddy_http_response_duration_seconds_count{code="404",handler="reverse_proxy",method="GET",server="deckhand-web"} 3',
    'caddy_http_response_duration_seconds_count{code="500",handler="reverse_proxy",method="GET",server="deckhand-web-2"} 1000',
    'caddy_http_requests_total{handler="reverse_proxy",server="deckhand-web"} 103',
  ].join('\n');
  it("sums one server's responses over handlers and methods; 5xx codes are the errors; other servers do not count", () => {
    expect(responseCountsFor(text, 'deckhand-web')).toEqual({ total: 103, errors: 10 });
    expect(responseCountsFor(text, 'deckhand-web-2')).toEqual({ total: 1000, errors: 1000 });
  });
  it('a server that answered nothing yet has no series: 0 of 0', () => {
    expect(responseCountsFor(text, 'deckhand-api')).toEqual({ total: 0, errors: 0 });
  });
});

describe('run.watch in the apps file', () => {
  const parse = (watch?: string) => parseAppsFile(`apps:\n  web:\n    source: { image: "127.0.0.1:5000/web" }\n    run: { port: 8080${watch === undefined ? '' : `, watch: ${watch}`} }\n`, 'f.yml')[0]!.run.watchMs;
  it('defaults to 60 s, takes a duration, and 0 turns it off', () => {
    expect(parse()).toBe(60_000);
    expect(parse('8s')).toBe(8000);
    expect(parse('2m')).toBe(120_000);
    expect(parse('0')).toBe(0);
  });
  it('refuses anything else with the key and what it expects', () => {
    expect(() => parse('soon')).toThrow(/run\.watch.*expected a duration like 60s or 2m, or 0 to turn it off/);
    expect(() => parse('-5')).toThrow(/run\.watch/);
  });
});

describe('the watch loop against a real HTTP health path', () => {
  let server: Server;
  let port: number;
  let healthy = true;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.statusCode = healthy ? 200 : 503;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = () => ({ url: `http://127.0.0.1:${port}/healthz`, clock: systemClock, probe: new HttpHealthProbe(1000), containerProblem: async () => undefined, intervalMs: 10 });

  it('passes a quiet window and counts down on the way', async () => {
    healthy = true;
    const countdown: number[] = [];
    const outcome = await watchWindow({ ...base(), windowMs: 300, countdownEveryMs: 100, onCountdown: (ms) => countdown.push(ms) });
    expect(outcome).toMatchObject({ ok: true });
    expect(countdown.length).toBeGreaterThan(0);
    expect(countdown.every((ms) => ms > 0 && ms <= 300)).toBe(true);
  });

  it('fails on the third failed probe in a row, with the last probes as evidence; one failed probe alone does not', async () => {
    let n = 0;
    const flaky = { probe: async (url: string) => new HttpHealthProbe(1000).probe(url).then((r) => ((n += 1) === 2 ? { ok: false, detail: 'HTTP 502' } : r)) };
    healthy = true;
    expect(await watchWindow({ ...base(), probe: flaky, windowMs: 200 })).toMatchObject({ ok: true });
    healthy = false;
    const outcome = await watchWindow({ ...base(), windowMs: 30_000 });
    expect(outcome).toMatchObject({ ok: false, kind: 'probes', reason: '3 health probes in a row failed during the watch window (last: HTTP 503)' });
    if (outcome.ok) throw new Error('unreachable');
    expect(outcome.lastProbes).toHaveLength(3);
    expect(outcome.lastProbes[2]).toMatch(/^\d\d:\d\d:\d\d http:\/\/127\.0\.0\.1:\d+\/healthz: failed \(HTTP 503\)$/);
  });

  it('fails at once when the container exits, and on the 5xx rule from the response counts', async () => {
    healthy = true;
    expect(await watchWindow({ ...base(), windowMs: 30_000, containerProblem: async () => 'the container exited with code 137' })).toMatchObject({ ok: false, kind: 'exited', reason: 'the container exited with code 137 during the watch window' });
    let reading = 0;
    const responses = async () => ({ total: (reading += 1) * 100, errors: reading === 1 ? 0 : 50 });
    expect(await watchWindow({ ...base(), windowMs: 30_000, responses })).toMatchObject({ ok: false, kind: 'errors' });
    // The proxy not answering is not a failure of the new version.
    expect(await watchWindow({ ...base(), windowMs: 100, responses: () => Promise.reject(new Error('ECONNREFUSED')) })).toMatchObject({ ok: true });
  });

  it('ends as aborted when the signal fires during the window, without waiting for the window', async () => {
    healthy = true;
    const controller = new AbortController();
    setTimeout(() => controller.abort('aborted by U-ops'), 100);
    expect(await watchWindow({ ...base(), windowMs: 60_000, intervalMs: 1000, signal: controller.signal })).toMatchObject({ ok: false, kind: 'aborted' });
  });

  it('without a probe (a runtime that judges health itself, e.g. Swarm) only the state counts', async () => {
    let problem: string | undefined;
    let asked = 0;
    const stateOnly = { clock: systemClock, intervalMs: 10, containerProblem: async () => ((asked += 1) > 3 ? problem : undefined) };
    expect(await watchWindow({ ...stateOnly, windowMs: 200 })).toMatchObject({ ok: true });
    expect(asked).toBeGreaterThan(3);
    problem = 'the container is crash-looping (it exited with code 1; Docker restarted it 1 time)';
    asked = 0;
    expect(await watchWindow({ ...stateOnly, windowMs: 30_000 })).toMatchObject({ ok: false, kind: 'exited', reason: `${problem} during the watch window`, lastProbes: [] });
  });
});
