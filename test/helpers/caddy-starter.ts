/** Child process for the cross-process start race: `caddy-starter.ts <dir> <go-file>` waits for <go-file>, ensures Caddy, prints the outcome. */
import { existsSync } from 'node:fs';
import { ManagedCaddy } from '../../src/adapters/proxy/managed-caddy.js';

const [dir, go] = process.argv.slice(2) as [string, string];
const caddy = new ManagedCaddy({ dir });
console.log(JSON.stringify({ ready: true }));
const deadline = Date.now() + 20_000;
while (!existsSync(go) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
const outcome = await caddy.ensure();
console.log(JSON.stringify({ outcome, pid: caddy.pid() }));
