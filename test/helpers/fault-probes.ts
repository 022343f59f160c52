import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** `git archive` processes (anyone's children) whose working directory is under `dir`: leaked build contexts. */
export function gitArchivesUnder(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!argv[0]?.endsWith('git') || argv[1] !== 'archive') continue;
      if (readlinkSync(`/proc/${entry}/cwd`).startsWith(dir)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** A Dockerfile for the standard test app with a step that runs `script` (busybox sh) before the app is copied. */
export function dockerfileWithStep(script: string): string {
  return `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", ${JSON.stringify(script)}]
COPY www /www
COPY start.sh /start.sh
CMD ["/bin/busybox", "sh", "/start.sh"]
`;
}

/** Output lines of a deploy, captured from the CLI's io. */
export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
}
