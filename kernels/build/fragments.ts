// Config fragments: what each asks for, and which of those the final .config dropped
// (an option whose dependencies are not met is silently removed by olddefconfig).
import type { Problem } from '../../common/errors.js';
import { INPUT_LIMITS, readUserFile } from '../../common/input-file.js';

export interface Request {
  option: string;
  /** "y", "m", a number or a quoted string; undefined for "# CONFIG_X is not set". */
  value?: string;
  file: string;
  line: number;
}

export function parseFragment(file: string): Request[] {
  const out: Request[] = [];
  readUserFile(file, INPUT_LIMITS.patch).toString('utf8').split('\n').forEach((text, i) => {
    const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(text.trim());
    const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(text.trim());
    if (set) out.push({ option: set[1]!, value: set[2]!, file, line: i + 1 });
    else if (unset) out.push({ option: unset[1]!, file, line: i + 1 });
  });
  return out;
}

export function parseConfig(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const kv = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (kv) m.set(kv[1]!, kv[2]!);
  }
  return m;
}

/** Requests the final config does not honour; a later fragment's request for the same option wins. */
export function droppedOptions(fragments: string[], finalConfig: string): Problem[] {
  const last = new Map<string, Request>();
  for (const f of fragments) for (const r of parseFragment(f)) last.set(r.option, r);
  const have = parseConfig(finalConfig);
  const problems: Problem[] = [];
  for (const r of last.values()) {
    const got = have.get(r.option);
    const ok = r.value === undefined ? got === undefined || got === 'n' : got === r.value;
    if (ok) continue;
    problems.push({
      file: r.file, line: r.line, col: 1,
      message: `${r.option}${r.value === undefined ? ' is not set' : `=${r.value}`} was asked for, but the final .config has ${got === undefined ? 'it unset' : `${r.option}=${got}`}`,
      hint: `its Kconfig dependencies are not met, or it cannot be set by hand: see "depends on" for ${r.option.slice(7)} in the tree's Kconfig files, and add what it needs`,
    });
  }
  return problems;
}
