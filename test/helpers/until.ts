/**
 * Polls `probe` every `everyMs` until it gives something other than `undefined` or `false`, and returns that; throws
 * after `limitMs`, naming `what` it waited for. A probe that throws ends the wait with its error.
 */
export async function until<R>(what: string, probe: () => R | Promise<R>, limitMs = 60_000, everyMs = 25): Promise<Exclude<R, undefined | false>> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as Exclude<R, undefined | false>;
    if (Date.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
