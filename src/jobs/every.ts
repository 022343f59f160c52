/** A task run every `intervalMs` that never overlaps its previous pass; `intervalMs` 0 never runs it. */
export interface Periodic {
  start(): void;
  /** No pass starts after it; resolves once a pass that is running has ended. */
  stop(): Promise<void>;
}

/** Runs `pass` on a timer that does not keep the process alive; a failed pass goes to `onError`, the next one runs. */
export function every(intervalMs: number, pass: () => Promise<unknown>, onError: (error: unknown) => void): Periodic {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  const tick = () => {
    if (running) return;
    running = pass()
      .catch(onError)
      .finally(() => {
        running = undefined;
      });
  };
  return {
    start() {
      if (intervalMs > 0) timer = setInterval(tick, intervalMs);
      timer?.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      return (running ?? Promise.resolve()).then(() => undefined);
    },
  };
}
