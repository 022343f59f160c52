/**
 * The floor of the ack figure: a bare node HTTP server in a process of its own that checks the Slack signature (HMAC,
 * as Bolt does) and answers 200 at once, asked by the same client in the same way (rounds of concurrent signed
 * slash commands, ack-client.ts). What is left between it and the bot is the bot's own work before each ack.
 */
import { spawn } from 'node:child_process';
import { sign, slashCommand } from '../../test/helpers/slack-requests.js';
import { ackClient } from './ack-client.js';
import type { BenchContext } from './context.js';

const SECRET = 'bench-floor-secret';

const SERVER = `
const { createServer } = require('node:http');
const { createHmac, timingSafeEqual } = require('node:crypto');
const server = createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    const expected = Buffer.from('v0=' + createHmac('sha256', process.env.SECRET).update('v0:' + request.headers['x-slack-request-timestamp'] + ':' + body).digest('hex'));
    const given = Buffer.from(String(request.headers['x-slack-signature']));
    const ok = given.length === expected.length && timingSafeEqual(given, expected);
    response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ response_type: 'ephemeral', text: new URLSearchParams(body).get('command') }));
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;

/** `rounds` rounds of `concurrent` requests (after 5 to warm up): each request's time until its answer. */
export async function ackFloor(ctx: BenchContext, rounds: number, concurrent: number): Promise<number[]> {
  const child = spawn(process.execPath, ['-e', SERVER], { env: { ...process.env, SECRET }, stdio: ['ignore', 'pipe', 'inherit'] });
  ctx.defer(() => child.kill('SIGKILL'));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('exit', (code) => reject(new Error(`the ack floor's server exited ${code}`)));
  });
  const client = ackClient(`http://127.0.0.1:${port}`);
  ctx.defer(() => client.close());
  const signed = () => {
    const body = slashCommand('/deploys', 'floor', 'U1BENCH', 'C1BENCH');
    return { body, headers: sign(body, undefined, SECRET) };
  };
  const round = async (n: number) => {
    // Every request of the round made first, then all sent: the client's work is not inside the times.
    const answers = await Promise.all(Array.from({ length: n }, signed).map((post) => client.post(post)));
    if (answers.some((a) => a.status !== 200)) throw new Error(`the ack floor's server answered ${answers.find((a) => a.status !== 200)!.status}`);
    return answers.map((a) => a.ms);
  };
  await round(5);
  const samples: number[] = [];
  for (let r = 0; r < rounds; r += 1) samples.push(...(await round(concurrent)));
  client.close();
  child.kill('SIGKILL');
  return samples;
}
