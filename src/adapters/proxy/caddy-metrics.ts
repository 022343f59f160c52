import type { ResponseCounts } from '../../domain/ports.js';

/**
 * Reads one server's response counts from Caddy's Prometheus text (`GET /metrics` on the admin endpoint, filled for
 * servers whose config has `metrics: {}`). Caddy 2.6 counts each response in
 * `caddy_http_response_duration_seconds_count{code,handler,method,server}`; the series of all handlers and methods
 * of the server are summed, and codes 5xx are the errors. A server that answered nothing yet has no series: 0 of 0.
 */
export function responseCountsFor(metricsText: string, server: string): ResponseCounts {
  let total = 0;
  let errors = 0;
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith('caddy_http_response_duration_seconds_count{')) continue;
    const close = line.lastIndexOf('}');
    const labels = parseLabels(line.slice(line.indexOf('{') + 1, close));
    if (labels.get('server') !== server) continue;
    const value = Number(line.slice(close + 1).trim().split(/\s+/)[0]);
    if (!Number.isFinite(value)) continue;
    total += value;
    if (/^5\d\d$/.test(labels.get('code') ?? '')) errors += value;
  }
  return { total, errors };
}

function parseLabels(text: string): Map<string, string> {
  const labels = new Map<string, string>();
  for (const match of text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels.set(match[1]!, match[2]!.replace(/\\(.)/g, '$1'));
  return labels;
}
