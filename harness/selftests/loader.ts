// The selftest loader's protocol (vm/helpers/guest/selftest/bpf-harness-selftest.c): what the
// harness sends on its stdin for a batch of objects, and what comes back per case.

export interface LoaderCase {
  /** Unique within one call. */
  id: string;
  mode: 'priv' | 'unpriv';
  prog: string;
  logLevel: number;
  flagOps: string[];
  /** Auxiliary programs loaded with it. */
  aux: string[];
  btfPath?: string;
  xlated: boolean;
  run: boolean;
  /** The tags expect the load to fail: the loader asks for the level-1 log at once. */
  expectFail: boolean;
}

export interface LoaderObject {
  /** libbpf's object name (the skeleton's: the file name without .c), which prefixes internal map names. */
  name: string;
  bytes: Buffer;
  /** What the tree's prog_tests runner does around it (runner-options.ts). */
  options: string[];
  cases: LoaderCase[];
  /** Files its cases name by relative path (__btf_path), by name. */
  files: Map<string, Buffer>;
}

export interface CaseOutput {
  id: string;
  /** The loader skipped it (e.g. unprivileged BPF disabled): why. */
  skip?: string;
  /** errno of bpf_object__load (0: loaded). */
  err: number;
  us: number;
  /** The kernel's verified_insns for a loaded program. */
  verifiedInsns: number;
  log: string;
  /** The statistics-only log of a program that loaded without a __log_level. */
  stats?: string;
  xlated?: string;
  xlatedErr?: number;
  retval?: number;
  runErr?: number;
}

const TOKEN = /^[^\s]+$/;

function word(v: string, what: string): string {
  if (!TOKEN.test(v)) throw new Error(`selftest loader: ${what} ${JSON.stringify(v)} cannot be passed (it has spaces)`);
  return v;
}

export function loaderInput(objects: LoaderObject[]): Buffer {
  const parts: Buffer[] = [];
  for (const o of objects) {
    for (const [name, bytes] of o.files) parts.push(Buffer.from(`file ${word(name, 'file name')} ${bytes.length}\n`), bytes);
    const opts = o.options.length ? o.options.map((x) => word(x, 'option')).join(',') : '-';
    parts.push(Buffer.from(`obj ${o.bytes.length} ${word(o.name, 'object name')} ${opts}\n`), o.bytes);
    for (const c of o.cases) {
      const list = (l: string[]) => (l.length ? l.map((x) => word(x, 'name')).join(',') : '-');
      parts.push(Buffer.from(`case ${word(c.id, 'case id')} ${c.mode} ${word(c.prog, 'program')} ${c.logLevel} ${list(c.flagOps)} ${list(c.aux)} ${c.btfPath ? word(c.btfPath, 'BTF path') : '-'} ${c.xlated ? 1 : 0} ${c.run ? 1 : 0} ${c.expectFail ? 1 : 0}\n`));
    }
  }
  return Buffer.concat(parts);
}

/** Parses the loader's stdout; sections carry their byte length, so logs may hold anything. */
export function parseLoaderOutput(out: Buffer): { cases: CaseOutput[]; trailing: string } {
  const cases: CaseOutput[] = [];
  let pos = 0;
  let cur: CaseOutput | undefined;
  const line = (): string | undefined => {
    if (pos >= out.length) return undefined;
    const nl = out.indexOf(0x0a, pos);
    const end = nl < 0 ? out.length : nl;
    const l = out.subarray(pos, end).toString('utf8');
    pos = end + 1;
    return l;
  };
  for (let l = line(); l !== undefined; l = line()) {
    let m: RegExpExecArray | null;
    if ((m = /^@@case (\S+)(?: err=(\d+) us=(\d+) insns=(\d+))?$/.exec(l))) {
      cur = { id: m[1]!, err: Number(m[2] ?? 0), us: Number(m[3] ?? 0), verifiedInsns: Number(m[4] ?? 0), log: '' };
    } else if (cur && (m = /^@@(log|stats|xlated) (\d+)$/.exec(l))) {
      const len = Number(m[2]);
      const text = out.subarray(pos, pos + len).toString('utf8');
      pos += len + 1;
      if (m[1] === 'log') cur.log = text;
      else if (m[1] === 'stats') cur.stats = text;
      else cur.xlated = text;
    } else if (cur && (m = /^@@(retval|run_err|xlated_err) (-?\d+)$/.exec(l))) {
      if (m[1] === 'retval') cur.retval = Number(m[2]);
      else if (m[1] === 'run_err') cur.runErr = Number(m[2]);
      else cur.xlatedErr = Number(m[2]);
    } else if (cur && (m = /^@@skip (.*)$/.exec(l))) {
      cur.skip = m[1]!;
    } else if (cur && l === `@@end ${cur.id}`) {
      cases.push(cur);
      cur = undefined;
    } else {
      // Anything else (a loader that died mid-case) is returned for the report.
      return { cases, trailing: [l, out.subarray(pos).toString('utf8')].join('\n').trim() };
    }
  }
  return { cases, trailing: '' };
}
