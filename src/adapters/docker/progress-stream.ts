import { StringDecoder } from 'node:string_decoder';
import type { ProgressMessage } from './log-frames.js';

/** The stream closed without its end: the engine went away mid-way (a socket failure, classified as such). */
export class StreamCutError extends Error {
  readonly code = 'ECONNRESET';
  constructor() {
    super('the Docker stream closed before it ended');
  }
}

/**
 * Reads a build/pull/push progress stream (one JSON object per line) until it ends. Unlike docker-modem's
 * followProgress: characters cut between chunks are decoded whole, a line that is not JSON is kept as text instead
 * of throwing out of an event handler, a stream closed before its end rejects, and `abort(error)` tears the stream
 * down and rejects at once.
 */
export function readProgress(stream: NodeJS.ReadableStream, onMessage: (message: ProgressMessage) => void): { done: Promise<void>; abort(error: Error): void } {
  const decoder = new StringDecoder('utf8');
  let buffer = '';
  let settled = false;
  let settle: (error?: Error) => void = () => undefined;

  const emit = (line: string) => {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text.trim().length === 0) return;
    let message: ProgressMessage;
    try {
      const parsed: unknown = JSON.parse(text);
      message = parsed && typeof parsed === 'object' ? (parsed as ProgressMessage) : { stream: `${text}\n` };
    } catch {
      message = { stream: `${text}\n` };
    }
    onMessage(message);
  };
  const drain = (final: boolean) => {
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      emit(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
    }
    if (final && buffer.length > 0) {
      emit(buffer);
      buffer = '';
    }
  };

  const onData = (chunk: Buffer | string) => {
    if (settled) return;
    buffer += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    try {
      drain(false);
    } catch (error) {
      settle(error as Error);
    }
  };
  const onEnd = () => {
    buffer += decoder.end();
    try {
      drain(true);
      settle();
    } catch (error) {
      settle(error as Error);
    }
  };
  const onError = (error: Error) => settle(error);
  const onClose = () => settle(new StreamCutError());

  const done = new Promise<void>((resolve, reject) => {
    settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('close', onClose);
      // Keep an error listener: a late socket error must not become an uncaught exception.
      stream.removeListener('error', onError);
      stream.on('error', () => undefined);
      if (error) {
        destroy(stream);
        reject(error);
      } else resolve();
    };
  });
  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.on('error', onError);
  stream.on('close', onClose);
  return { done, abort: (error: Error) => settle(error) };
}

/** Destroys a stream if it can be destroyed (a response, a child's stdout); never throws. */
export function destroy(stream: unknown): void {
  const candidate = stream as { destroy?: () => void; destroyed?: boolean };
  if (typeof candidate?.destroy === 'function' && !candidate.destroyed) {
    try {
      candidate.destroy();
    } catch {
      // already torn down
    }
  }
}
