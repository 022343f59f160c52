import type Docker from 'dockerode';
import { cleanLogLines } from '../../domain/log-text.js';
import type { DockerCalls } from './docker-calls.js';
import { demuxDockerLogs } from './log-frames.js';

const OUTPUT_LINES = 20;

/**
 * Runs `argv` inside a running container (no shell: the argv as given), waits for it within `timeoutMs`, and says
 * its exit code with its last output lines. A command that outlives the limit counts as failed (exit code -1).
 */
export async function execIn(calls: DockerCalls, id: string, argv: string[], timeoutMs: number): Promise<{ exitCode: number; output: string[] }> {
  const container = calls.docker.getContainer(id);
  const exec = await calls.call(`prepare a command in ${id.slice(0, 12)}`, (abortSignal) =>
    container.exec({ Cmd: argv, AttachStdout: true, AttachStderr: true, abortSignal } as Docker.ExecCreateOptions),
  );
  const stream = (await calls.call(`run a command in ${id.slice(0, 12)}`, () => exec.start({ hijack: true, stdin: false }))) as NodeJS.ReadableStream & { destroy?: () => void };
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
  if (!finished) return { exitCode: -1, output: [...output, `(still running after ${Math.round(timeoutMs / 100) / 10}s)`] };
  const info = await calls.call(`read the command's exit code in ${id.slice(0, 12)}`, () => exec.inspect());
  return { exitCode: info.ExitCode ?? -1, output };
}
