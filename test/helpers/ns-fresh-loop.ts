import { FIRST_OK, type NsRequestLoop, RUNNING, startLoopScript } from './ns-http.js';

/**
 * Like ns-http.ts's request loop, but every request on a FRESH connection (node:http, `agent: false`), as the
 * single-host deploy tests do (test/helpers/http.ts). A loop through Caddy needs this: Caddy closes idle keep-alive
 * connections when a switch loads a new config, and a request sent on such a connection at that instant is reset, a
 * race every HTTP client meets with keep-alive (clients retry it) and not a request the switch failed
 * (test/helpers/steady-load.ts counts it apart for the same reason). One connection reset during its handshake is
 * allowed and kept in `connectResets`: the kernel's race when Caddy closes a listener it replaced (test/helpers/http.ts).
 */
const LOOP_SCRIPT = `
const http = require('node:http');
const urls = JSON.parse(process.argv[1]);
const expected = process.argv[2];
const result = { ok: 0, failed: 0, failures: [], connectResets: [] };
let stopping = false;
process.on('SIGTERM', () => { stopping = true; });
process.stderr.write('${RUNNING}');
const get = (url) => new Promise((resolve) => {
  const req = http.get(url, { agent: false, timeout: 2000 }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c) => (body += c));
    res.on('end', () => resolve({ status: res.statusCode, body }));
    res.on('error', (e) => resolve({ error: e.code || e.message }));
  });
  req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
  req.on('error', (e) => resolve({ error: e.code || e.message, handshake: e.code === 'ECONNRESET' && e.syscall === 'connect' }));
});
(async () => {
  for (let i = 0; !stopping; i++) {
    const url = urls[i % urls.length];
    const r = await get(url);
    if (r.status === 200 && (!expected || r.body === expected)) {
      if (++result.ok === 1) process.stderr.write('${FIRST_OK}');
    }
    else if (r.handshake && result.connectResets.length === 0) result.connectResets.push(url + ': connect ECONNRESET');
    else { result.failed++; result.failures.push(url + ': ' + (r.error || (r.status + ' ' + r.body.slice(0, 80)))); }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  result.failures = result.failures.slice(0, 20);
  process.stdout.write(JSON.stringify(result));
})();
`;

/** GETs `urls` in turn from inside namespace `ns`, each on a new connection, until stop(). */
export function startFreshConnectionLoop(ns: { path: string }, urls: string[], expectedBody?: string): NsRequestLoop {
  return startLoopScript(ns, LOOP_SCRIPT, urls, expectedBody);
}
