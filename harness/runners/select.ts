// Which of a runner's tests a scenario keeps, and which it denies, in test_progs' own
// syntax (testing_helpers.c, 6.12): "TEST" or "TEST/SUBTEST", each half a glob where
// only * is special; a test's entry covers its subtests. The deny lists merged as BPF CI
// merges them: the tree's DENYLIST, then DENYLIST.<arch>, then the scenario's own.
import type { RunnerTest } from '../results/model.js';

export interface DenyEntry {
  pattern: string;
  /** Where it comes from and why: "DENYLIST.aarch64:12: # no fentry on arm64", "the scenario: flaky under TCG". */
  reason: string;
}

export interface RunnerSelection {
  /** Empty: every test. */
  allow: string[];
  deny: DenyEntry[];
}

/** A glob of test_progs' kind: * matches any run of characters, nothing else is special. */
export function globMatch(glob: string, name: string): boolean {
  const parts = glob.split('*');
  if (parts.length === 1) return glob === name;
  if (!name.startsWith(parts[0]!) || !name.endsWith(parts[parts.length - 1]!)) return false;
  let at = parts[0]!.length;
  const end = name.length - parts[parts.length - 1]!.length;
  for (const p of parts.slice(1, -1)) {
    const i = name.indexOf(p, at);
    if (i < 0 || i + p.length > end) return false;
    at = i + p.length;
  }
  return at <= end;
}

/** Whether a "TEST" or "TEST/SUBTEST" entry names this test (a test's entry names its subtests too). */
export function entryMatches(entry: string, t: Pick<RunnerTest, 'test' | 'subtest'>): boolean {
  const slash = entry.indexOf('/');
  const [test, sub] = slash < 0 ? [entry, undefined] : [entry.slice(0, slash), entry.slice(slash + 1)];
  if (!globMatch(test, t.test)) return false;
  return sub === undefined || (t.subtest !== undefined && globMatch(sub, t.subtest));
}

/** The test as the scenario reports it: undefined when it is not selected; skipped with the list's reason when denied. */
export function selects(sel: RunnerSelection, t: RunnerTest): RunnerTest | undefined {
  if (sel.allow.length && !sel.allow.some((a) => entryMatches(a, t))) return undefined;
  const denied = sel.deny.find((d) => entryMatches(d.pattern, t));
  return denied ? { ...t, outcome: 'skip', reason: `denied (${denied.reason})` } : t;
}

/**
 * A deny list file as BPF CI reads it: one entry a line, `#` to the end of the line a
 * comment (which becomes the entry's reason), blank lines skipped.
 */
export function readDenyList(text: string, name: string): DenyEntry[] {
  return text.split('\n').flatMap((line, i) => {
    const hash = line.indexOf('#');
    const pattern = (hash < 0 ? line : line.slice(0, hash)).trim();
    const comment = hash < 0 ? '' : line.slice(hash + 1).trim();
    return pattern ? [{ pattern, reason: `${name}:${i + 1}${comment ? `: ${comment}` : ''}` }] : [];
  });
}
