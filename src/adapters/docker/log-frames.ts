/**
 * Docker multiplexes stdout/stderr of a non-TTY container into frames: 8-byte header (stream, 0, 0, 0, size BE)
 * then the payload. Returns the text lines in order.
 */
export function demuxDockerLogs(buffer: Buffer): string[] {
  const chunks: Buffer[] = [];
  let offset = 0;
  const looksFramed = buffer.length >= 8 && buffer[0]! <= 2 && buffer[1] === 0 && buffer[2] === 0 && buffer[3] === 0;
  if (!looksFramed) return splitLines(buffer.toString('utf8'));
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    chunks.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  // Decoded once, whole: a character split across two frames stays one character.
  return splitLines(Buffer.concat(chunks).toString('utf8'));
}

export function splitLines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.length > 0);
}

/** One JSON message of the build or pull progress stream. */
export interface ProgressMessage {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}
