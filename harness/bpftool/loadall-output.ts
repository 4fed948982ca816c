// Parses what `bpftool -d prog loadall OBJ PINDIR` prints (stdout and stderr
// together): libbpf's debug lines ("libbpf: ..."), the verifier logs libbpf prints
// between BEGIN/END markers (their lines carry no prefix), and bpftool's "Error: ...".

import { errnoName } from './errno.js';

export interface LoadallProgram {
  name: string;
  /** The kernel accepted this program. False when rejected, or never tried because an earlier one failed. */
  loaded: boolean;
  /** Verifier log, without the markers; '' when libbpf printed none. */
  log: string;
  errno?: string;
  /** libbpf's failure text as printed ("Permission denied", "-EACCES"). */
  reason?: string;
  /** Found in .text: a subprogram, never loaded (or logged) on its own. */
  subprogram?: boolean;
}

export interface LoadallOutput {
  /** The whole object loaded. */
  loaded: boolean;
  /** Of the first failing program, else of the first libbpf error line that names one. */
  errno?: string;
  programs: LoadallProgram[];
  /** Every printed log, in order, each after a "# prog NAME" line. */
  combinedLog: string;
  /** bpftool's own "Error: ..." text, if any. */
  error?: string;
  raw: string;
}

const FOUND = /^libbpf: sec '([^']*)': found program '([^']+)'/;
const BEGIN = /^libbpf: prog '([^']+)': -- BEGIN PROG LOAD LOG --$/;
const END = '-- END PROG LOAD LOG --';
const LOAD_FAILED = /^libbpf: prog '([^']+)': BPF program load failed: (.*)$/;
const FAILED_TO_LOAD = /^libbpf: prog '([^']+)': failed to load: (.*)$/;
const PINNED = /^libbpf: prog '([^']+)': pinned at /;
const BPFTOOL_ERROR = /^Error: (.*)$/;
// Last ": thing" of a libbpf line that reports a failure, e.g. "failed to open x.o: No such file or directory".
// libbpf's own checks before any program is loaded, e.g. "Error in
// bpf_object__probe_loading():Operation not permitted(1)." (1.1) or "...(): -EPERM." (newer).
const PROBE_ERROR = /^libbpf: Error in \w+\(\):\s*(?:(-?E[A-Z0-9]+)|[^(]*\((\d+)\))/;
const LIBBPF_FAILURE = /^libbpf: .*(?:fail|error|invalid|unable|can't|cannot).*:\s*([^:]+)$/i;

/** @param exitCode bpftool's exit status, when known; non-zero means not loaded. */
export function parseLoadallOutput(raw: string, exitCode?: number): LoadallOutput {
  const lines = raw.replace(/\r\n?/g, '\n').split('\n');
  const progs = new Map<string, LoadallProgram & { attempted: boolean; pinned: boolean }>();
  const prog = (name: string) => {
    let p = progs.get(name);
    if (!p) {
      p = { name, loaded: false, log: '', attempted: false, pinned: false };
      progs.set(name, p);
    }
    return p;
  };
  const logged: string[] = [];
  let error: string | undefined;
  let fallbackErrno: string | undefined;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    let m: RegExpExecArray | null;
    if ((m = BEGIN.exec(line)) && m[1]) {
      const p = prog(m[1]);
      const body: string[] = [];
      // A log cut short (ENOSPC) may end mid-line, with the END marker appended to it.
      for (i++; i < lines.length; i++) {
        const l = lines[i] ?? '';
        if (l.endsWith(END)) {
          if (l.length > END.length) body.push(l.slice(0, -END.length));
          break;
        }
        body.push(l);
      }
      p.log = body.join('\n');
      p.attempted = true;
      if (!logged.includes(p.name)) logged.push(p.name);
    } else if ((m = FOUND.exec(line)) && m[2]) {
      // .text holds subprograms (static functions, callbacks): verified inside their callers.
      if (m[1] === '.text') prog(m[2]).subprogram = true;
      else prog(m[2]);
    } else if ((m = LOAD_FAILED.exec(line) ?? FAILED_TO_LOAD.exec(line)) && m[1]) {
      const p = prog(m[1]);
      p.attempted = true;
      const reason = (m[2] ?? '').trim();
      p.reason ??= reason;
      p.errno ??= errnoName(reason);
    } else if ((m = PINNED.exec(line)) && m[1]) {
      prog(m[1]).pinned = true;
    } else if ((m = BPFTOOL_ERROR.exec(line))) {
      error ??= m[1];
    } else if (fallbackErrno === undefined && (m = PROBE_ERROR.exec(line))) {
      fallbackErrno = errnoName(m[1] ?? m[2] ?? '');
    } else if (fallbackErrno === undefined && (m = LIBBPF_FAILURE.exec(line)) && m[1]) {
      fallbackErrno = errnoName(m[1]);
    }
  }

  const failed = [...progs.values()].filter((p) => p.reason !== undefined);
  const loaded = failed.length === 0 && error === undefined && (exitCode === undefined || exitCode === 0);
  const programs: LoadallProgram[] = [...progs.values()].map(({ attempted, pinned, ...p }) => ({
    ...p,
    loaded: p.reason === undefined && (pinned || (attempted && p.log !== '') || loaded),
  }));
  const combinedLog = logged.map((name) => `# prog ${name}\n${progs.get(name)?.log ?? ''}`).join('\n');
  const errno = failed.find((p) => p.errno)?.errno ?? (loaded ? undefined : fallbackErrno);
  return {
    loaded,
    ...(errno ? { errno } : {}),
    programs,
    combinedLog: combinedLog === '' || combinedLog.endsWith('\n') ? combinedLog : combinedLog + '\n',
    ...(error !== undefined ? { error } : {}),
    raw,
  };
}
