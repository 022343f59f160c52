import type Docker from 'dockerode';
import { cleanLogLines } from '../../domain/log-text.js';
import { type DockerCalls, statusOf } from './docker-calls.js';
import { killExecTree } from './exec-kill.js';
import { demuxDockerLogs } from './log-frames.js';

const OUTPUT_LINES = 20;
/** How long to wait for Docker to record the exit code once the command's output has ended. */
const EXIT_CODE_WAIT_MS = 2_000;

const seconds = (ms: number) => `${Math.round(ms / 100) / 10}s`;

/**
 * Runs `argv` inside a running container (no shell: the argv as given), waits for it within `timeoutMs`, and says
 * its exit code with its last output lines. A program the image lacks is Docker's exit code 126/127, not an error.
 * A command that outlives the limit counts as failed (exit code -1) and is killed with its children, so a hung
 * health command does not pile up in the container. A container that is gone or not running also gives -1, with
 * the reason as output. Only Docker itself being unreachable throws.
 */
export async function execIn(calls: DockerCalls, id: string, argv: string[], timeoutMs: number): Promise<{ exitCode: number; output: string[] }> {
  const short = id.slice(0, 12);
  const container = calls.docker.getContainer(id);
  let exec: Docker.Exec;
  try {
    exec = await calls.call(`prepare a command in ${short}`, (abortSignal) =>
      container.exec({ Cmd: argv, AttachStdout: true, AttachStderr: true, abortSignal } as Docker.ExecCreateOptions),
    );
  } catch (error) {
    if (statusOf(error) === 404) return { exitCode: -1, output: [`container ${short} does not exist`] };
    if (statusOf(error) === 409) return { exitCode: -1, output: [`container ${short} is not running`] };
    throw error;
  }
  const stream = (await calls.call(`run a command in ${short}`, () => exec.start({ hijack: true, stdin: false }))) as NodeJS.ReadableStream & { destroy?: () => void };
  const chunks: Buffer[] = [];
  const ended = new Promise<boolean>((resolve) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(true));
    stream.on('close', () => resolve(true));
    stream.on('error', () => resolve(true));
  });
  let timer: NodeJS.Timeout | undefined;
  const finished = await Promise.race([ended, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
  clearTimeout(timer);
  stream.destroy?.();
  const output = cleanLogLines(demuxDockerLogs(Buffer.concat(chunks))).slice(-OUTPUT_LINES);
  if (!finished) {
    const info = await calls.call(`look at the command in ${short}`, () => exec.inspect());
    const killed = info.Running && info.Pid > 0 ? killExecTree(info.Pid, info.ContainerID) : true;
    return { exitCode: -1, output: [...output, `(still running after ${seconds(timeoutMs)}${killed ? '; killed' : '; could not kill it from here'})`] };
  }
  // The output ends as the process exits; Docker may record the exit code a moment later.
  const deadline = Date.now() + EXIT_CODE_WAIT_MS;
  for (;;) {
    const info = await calls.call(`read the command's exit code in ${short}`, () => exec.inspect());
    if (!info.Running && info.ExitCode !== null) return { exitCode: info.ExitCode, output };
    if (Date.now() > deadline) return { exitCode: -1, output: [...output, '(the output ended but Docker recorded no exit code)'] };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
