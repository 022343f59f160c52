import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import type { GitRun } from './git-process.js';

/**
 * `git archive` of `sha` (a full SHA) streamed straight into the Docker build; argv only. The stream owns the child:
 * it ends only once git exited 0 (else it fails with `failed(git's message)`, so a failed archive is never read as
 * a short tar), and a reader that stops early and destroys it (a failed build, Docker gone) kills git instead of
 * leaving it on a full pipe.
 */
export function archiveStream(run: GitRun, sha: string, failed: (error: unknown) => Error): NodeJS.ReadableStream {
  const child = spawn('git', ['archive', '--format=tar', sha], { cwd: run.cwd, env: run.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = new PassThrough();
  child.stdout.pipe(output, { end: false });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  output.once('close', () => {
    if (!exited) child.kill('SIGKILL');
  });
  child.once('error', (error) => {
    exited = true;
    output.destroy(failed(error));
  });
  child.once('close', (code) => {
    exited = true;
    if (code === 0) output.end();
    else output.destroy(failed(stderr || `git exited with code ${code}`));
  });
  return output;
}
