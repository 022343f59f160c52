import { fenceLine, fenced } from './text.js';

/** Slack Block Kit limits deckhand's renderers hold to. */
export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  buttonText: 75,
  headerText: 150,
  contextElements: 10,
  fieldText: 2000,
  fields: 10,
  actionElements: 25,
  /** Top-level `text` of a message (Slack truncates past 40,000). */
  messageText: 40_000,
} as const;

/** Cuts text to `max` characters, ending with "…" when cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Cuts a list of lines to fit `max` characters, ending with "…and N more" when lines were dropped. */
export function clipLines(lines: string[], max: number): string {
  const out: string[] = [];
  let used = 0;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!;
    const rest = lines.length - i;
    const suffix = `…and ${rest} more`;
    if (used + line.length + 1 + (rest > 1 ? suffix.length + 1 : 0) > max) {
      out.push(suffix);
      return out.join('\n');
    }
    out.push(line);
    used += line.length + 1;
  }
  return out.join('\n');
}

/** Keeps at most `max` items, replacing the rest with one item made by `more(n)`. */
export function capList<T>(items: T[], max: number, more: (dropped: number) => T): T[] {
  if (items.length <= max) return items;
  return [...items.slice(0, max - 1), more(items.length - (max - 1))];
}

/** The last lines of a log, shaped to fit one section as a code block they cannot break out of (see `fenced`). */
export function logTailBlock(lines: string[], max = LIMITS.sectionText - 8, keepHead = 0): string {
  const kept: string[] = [];
  let used = 0;
  // The first `keepHead` lines (a container's start-up, up to its "not shown" line) go in first when they fit.
  const head: string[] = [];
  for (const line of lines.slice(0, keepHead).map(fenceLine)) {
    if (used + line.length + 1 > (max - 40) / 2) break;
    head.push(line);
    used += line.length + 1;
  }
  for (let i = lines.length - 1; i >= head.length; i -= 1) {
    const line = fenceLine(lines[i]!);
    if (used + line.length + 1 > max - 40) break;
    kept.unshift(line);
    used += line.length + 1;
  }
  const dropped = lines.length - kept.length - head.length;
  if (head.length > 0) return fenced(dropped > 0 ? [...head, `…${dropped} more lines`, ...kept] : [...head, ...kept]);
  return fenced(dropped > 0 ? [`…${dropped} earlier lines`, ...kept] : kept);
}
