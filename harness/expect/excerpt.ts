// Log listings for failure reports: numbered excerpts, and a unified diff that shows
// a missing pattern as the line the log lacks at the point where matching stopped.
import { createPatch } from 'diff';

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

/**
 * Unified diff of the normalized log against "the log as expected": the same log with
 * the missing pattern inserted where matching stopped (1-based line), so the hunk
 * shows both what the kernel printed there and what was expected.
 */
export function missingPatternDiff(text: string, stoppedAtLine: number, pattern: string, label = 'log', actualLabel = 'actual (normalized)'): string {
  const lines = splitLines(text);
  const at = Math.max(0, Math.min(lines.length, stoppedAtLine - 1));
  const expected = [...lines.slice(0, at), pattern, ...lines.slice(at)];
  const patch = createPatch(label, `${expected.join('\n')}\n`, `${lines.join('\n')}\n`, 'expected', actualLabel, { context: 6 });
  // Drop the "Index:" and "====" header lines jsdiff adds; keep ---/+++ and hunks.
  return patch.split('\n').slice(2).join('\n').trimEnd();
}
