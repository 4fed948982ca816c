// Finding the first crash in kernel message lines, with its title and excerpt.
import type { CrashPolicy } from './policy.js';

export interface Crash {
  kind: string;
  title: string;
  /** Which stream showed it first: the serial console or the kernel log stream. */
  source: 'console' | 'dmesg';
  /** The matching line, without timestamp. */
  line: string;
  /** Lines around it (policy.excerpt), as printed. */
  excerpt: string;
}

/** How reports name a source. */
export const SOURCE_NAMES: Record<Crash['source'], string> = { console: 'serial console', dmesg: 'kernel log stream' };

/** "[   12.345678] text" (console, dmesg) -> "text" */
export const stripTimestamp = (line: string) => line.replace(/^\[\s*\d+\.\d+\]\s?/, '');

/** The first line of `lines` that the policy calls a crash, or undefined. */
export function findCrash(lines: readonly string[], policy: CrashPolicy, source: Crash['source']): Crash | undefined {
  for (const [i, raw] of lines.entries()) {
    const line = stripTimestamp(raw).trimEnd();
    if (policy.allow.some((a) => a.test(line))) continue;
    for (const rule of policy.crashes) {
      const m = rule.match.exec(line);
      if (!m) continue;
      const title = rule.title.replace(/\$(\d)/g, (_, n: string) => m.groups[Number(n)] ?? '');
      const excerpt = lines.slice(Math.max(0, i - policy.excerpt.before), i + policy.excerpt.after + 1).join('\n');
      return { kind: rule.kind, title, source, line, excerpt };
    }
  }
  return undefined;
}
