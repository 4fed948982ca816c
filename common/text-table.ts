// Text tables for the terminal (compare's), laid out by the `table` package: no borders,
// two spaces between columns, no trailing blanks.
import { getBorderCharacters, table } from 'table';

/** Keeps a long cell's end (a file's name and step id matter more than its folders). */
export const keepEnd = (s: string, n: number) => (s.length > n ? `…${s.slice(s.length - n + 1)}` : s);
/** Keeps a long cell's start (a verdict's kind comes first). */
export const keepStart = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function textTable(header: string[], rows: string[][]): string {
  if (!rows.length) return `${header.join('  ')}\n`;
  const text = table([header, ...rows], {
    border: getBorderCharacters('void'),
    columnDefault: { paddingLeft: 0, paddingRight: 2 },
    drawHorizontalLine: () => false,
  });
  return `${text.split('\n').map((l) => l.trimEnd()).join('\n').trimEnd()}\n`;
}
