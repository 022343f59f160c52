import type { Floor, Row } from '../report.js';

/** What every figure gets: the mode, the floors measured first in this run, and a place to register teardown. */
export interface BenchContext {
  quick: boolean;
  /** Seeded deployment rows for the Slack figures (100k; 20k with --quick). */
  rows: number;
  /** `n` samples in a full run, `q` with --quick. */
  samples(n: number, q: number): number;
  floors: Floors;
  /** Runs at the end (newest first), also when the bench fails or is interrupted. */
  defer(teardown: () => unknown): void;
  /** Unique names and ports: everything the bench makes is `bench-…`. */
  name(what: string): string;
}

export interface Floors {
  /** Bare `docker start` of a created, stopped container of the image + its first 2xx on 127.0.0.1. */
  bare: Floor;
  /** The bare floor + a bare `node -e 0` start. */
  cli: Floor;
  /** A bare `node -e 0` start. */
  node: Floor;
  /** `docker stop old && docker run new` (through dockerode) until the new version answers. */
  naive: Floor;
  /**
   * The bare floor while the figures' probe load runs: a probe every 5 ms through Caddy to an old version (busybox
   * httpd forks a process per request), as when a figure waits for the new version on a public port.
   */
  loaded: Floor;
}

export interface Figure {
  /** The module's subject, for progress lines and errors. */
  title: string;
  run(ctx: BenchContext): Promise<Row[]>;
}

export function createContext(quick: boolean, floors: Floors): BenchContext & { teardown(): Promise<void> } {
  const teardowns: Array<() => unknown> = [];
  return {
    quick,
    rows: quick ? 20_000 : 100_000,
    samples: (n, q) => (quick ? q : n),
    floors,
    defer: (fn) => teardowns.push(fn),
    name: (what) => `bench-${what}-${process.pid}`,
    teardown: async () => {
      while (teardowns.length > 0) {
        const fn = teardowns.pop()!;
        try {
          await fn();
        } catch (error) {
          console.error(`bench: teardown step failed: ${(error as Error).message}`);
        }
      }
    },
  };
}
