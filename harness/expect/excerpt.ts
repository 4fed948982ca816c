// Numbered log listings for failure reports. An ordered-pattern failure is better
// explained by showing the log where the search stopped than by a diff against a
// list of patterns, which are not lines.

const WINDOW = 40;
const BEFORE = 10;

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 1 && lines.at(-1) === '') lines.pop();
  return lines;
}

function render(lines: string[], from: number, to: number, mark: (n: number) => string): string {
  const width = String(to).length;
  const out: string[] = [];
  if (from > 1) out.push(`      ... ${from - 1} line(s) above`);
  for (let n = from; n <= to; n++) out.push(`${mark(n)} ${String(n).padStart(width)} | ${lines[n - 1] ?? ''}`);
  if (to < lines.length) out.push(`      ... ${lines.length - to} more line(s)`);
  return out.join('\n');
}

/**
 * About 40 numbered lines around `line` (1-based), marked ">>"; lines in `matched`
 * (where earlier patterns matched) are marked "ok".
 */
export function excerpt(text: string, line: number, matched: number[] = []): string {
  const lines = splitLines(text);
  const total = lines.length;
  let from = Math.max(1, line - BEFORE);
  const to = Math.min(total, from + WINDOW - 1);
  from = Math.max(1, Math.min(from, to - WINDOW + 1));
  const ok = new Set(matched);
  return render(lines, from, to, (n) => (n === line ? '  >>' : ok.has(n) ? '  ok' : '    '));
}

/** The last `count` lines, numbered. */
export function tail(text: string, count = WINDOW): string {
  const lines = splitLines(text);
  return render(lines, Math.max(1, lines.length - count + 1), lines.length, () => '    ');
}
