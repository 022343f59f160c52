/**
 * What `npm run bench` prints: one block per figure (p50/p95/max over its samples, the floor or baseline measured in
 * the same run, the ratio to it, the issue's goal) and, at the end, the same as a Markdown table for the README.
 */

export interface Floor {
  /** What the figure is compared with, e.g. "floor" or "CLI floor". */
  name: string;
  /** Its p50 in the same run, in the figure's unit. */
  value: number;
}

export interface Row {
  figure: string;
  samples?: number[];
  unit?: string;
  floor?: Floor;
  goal: string;
  /** Anything else a reader needs (when the CLI exited, what ran beside it, a count). */
  note?: string;
  /** Set when the figure cannot be measured yet: the reason is printed instead of a number. */
  notMeasured?: string;
}

export interface Stats {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1)! };
}

const fmt = (value: number, unit = 'ms') => {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3;
  return `${value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${unit}`;
};

const ratio = (value: number, floor: Floor) => (floor.value > 0 ? `${(value / floor.value).toFixed(2)}×` : 'n/a');

/** Prints one row as soon as it is measured. */
export function printRow(row: Row): void {
  if (row.notMeasured || !row.samples?.length) {
    console.log(`- ${row.figure}\n    not measured: ${row.notMeasured ?? 'no samples'}\n    goal: ${row.goal}`);
    return;
  }
  const s = stats(row.samples);
  const unit = row.unit ?? 'ms';
  console.log(`- ${row.figure}\n    n=${s.n}  p50=${fmt(s.p50, unit)}  p95=${fmt(s.p95, unit)}  max=${fmt(s.max, unit)}`);
  if (row.floor) console.log(`    ${row.floor.name} (this run) = ${fmt(row.floor.value, unit)}  ratio p50 ${ratio(s.p50, row.floor)}, max ${ratio(s.max, row.floor)}`);
  if (row.note) console.log(`    ${row.note}`);
  console.log(`    goal: ${row.goal}`);
}

/** The README table: figure | measured | floor | ratio | goal. */
export function markdownTable(rows: Row[]): string {
  const lines = ['| figure | measured (p50 / p95 / max) | floor or baseline (same run) | ratio (p50) | goal |', '|---|---|---|---|---|'];
  for (const row of rows) {
    if (row.notMeasured || !row.samples?.length) {
      lines.push(`| ${row.figure} | not measured: ${row.notMeasured ?? 'no samples'} | | | ${row.goal} |`);
      continue;
    }
    const s = stats(row.samples);
    const unit = row.unit ?? 'ms';
    const measured = `${fmt(s.p50, unit)} / ${fmt(s.p95, unit)} / ${fmt(s.max, unit)}${row.note ? ` (${row.note})` : ''}`;
    const floor = row.floor ? `${row.floor.name} ${fmt(row.floor.value, unit)}` : '';
    lines.push(`| ${row.figure} | ${measured} | ${floor} | ${row.floor ? ratio(s.p50, row.floor) : ''} | ${row.goal} |`);
  }
  return lines.join('\n');
}
