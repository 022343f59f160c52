import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BuildSteps, stepImageRemoved } from '../../src/adapters/docker/build-steps.js';
import { isConnectionError } from '../../src/adapters/docker/docker-calls.js';
import { demuxDockerLogs } from '../../src/adapters/docker/log-frames.js';
import { readProgress } from '../../src/adapters/docker/progress-stream.js';

describe('BuildSteps', () => {
  it('counts only the step images the build made: never the FROM base, never a cache hit', () => {
    const steps = new BuildSteps();
    for (const line of [
      'Step 1/5 : FROM busybox:1',
      ' ---> 1111111111aa',
      'Step 2/5 : COPY a /a',
      ' ---> Using cache',
      ' ---> 2222222222bb',
      'Step 3/5 : RUN make',
      ' ---> Running in 3333333333cc',
      'Removing intermediate container 3333333333cc',
      ' ---> 4444444444dd',
      'Step 4/5 : from 4444444444dd AS second',
      ' ---> 4444444444dd',
      'Step 5/5 : COPY b /b',
      ' ---> 5555555555ee',
    ]) steps.line(line);
    expect(steps.newestFirst()).toEqual(['5555555555ee', '4444444444dd']);
  });
});
describe('stepImageRemoved', () => {
  const id = `sha256:${'0ad4019d'.repeat(8)}`;
  it('tells a step image removed under the build from a build that failed on its own', () => {
    // What CI met (the step's commit) and what test/faults/build-step-image-removed.test.ts drives (the step's start).
    expect(stepImageRemoved(`failed to export image: failed to set parent ${id}: unknown parent image ID ${id}`)).toBe(true);
    expect(stepImageRemoved(`failed to get destination image "${id}": No such image: ${id}`)).toBe(true);
    expect(stepImageRemoved('COPY failed: file not found in build context or excluded by .dockerignore: stat x: file does not exist')).toBe(false);
    expect(stepImageRemoved('pull access denied for nope, repository does not exist or may require \'docker login\'')).toBe(false);
    expect(stepImageRemoved('No such image: busybox:latest')).toBe(false);
  });
});


describe('readProgress', () => {
  it('decodes characters cut between chunks, keeps a non-JSON line as text, and resolves at the end', async () => {
    const stream = new PassThrough();
    const messages: unknown[] = [];
    const { done } = readProgress(stream, (m) => messages.push(m));
    const euro = Buffer.from(JSON.stringify({ stream: 'price €5\n' }) + '\n');
    const cut = euro.indexOf(0xe2) + 1;
    stream.write(euro.subarray(0, cut));
    stream.write(euro.subarray(cut));
    stream.write('not json at all\r\n');
    stream.end(JSON.stringify({ aux: { ID: 'sha256:abc' } }));
    await done;
    expect(messages).toEqual([{ stream: 'price €5\n' }, { stream: 'not json at all\n' }, { aux: { ID: 'sha256:abc' } }]);
  });

  it('rejects as a connection failure when the stream closes before its end (the engine went away)', async () => {
    const stream = new PassThrough();
    const { done } = readProgress(stream, () => undefined);
    stream.write('{"stream":"Step 1/2"}\n');
    stream.destroy();
    const error = await done.catch((e: unknown) => e);
    expect(isConnectionError(error)).toBe(true);
  });

  it('abort() tears the stream down and rejects with the given error', async () => {
    const stream = new PassThrough();
    const { done, abort } = readProgress(stream, () => undefined);
    const reason = new Error('engine gone');
    abort(reason);
    await expect(done).rejects.toBe(reason);
    expect(stream.destroyed).toBe(true);
  });
});

describe('demuxDockerLogs', () => {
  it('decodes a character split across two frames as one character', () => {
    const text = Buffer.from('héllo\n');
    const split = text.indexOf(0xc3) + 1;
    const frame = (payload: Buffer) => Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 0, 0, payload.length]), payload]);
    expect(demuxDockerLogs(Buffer.concat([frame(text.subarray(0, split)), frame(text.subarray(split))]))).toEqual(['héllo']);
  });
});
