// errno names for what libbpf and bpftool print: libbpf <= 1.5 gives strerror text
// (glibc's, or musl's in a static guest bpftool), newer libbpf gives "-EACCES",
// and some lines carry the bare number ("failed to load: -13").

interface ErrnoInfo {
  num: number;
  /** glibc strerror first, then other libcs' wording. */
  texts: string[];
}

export const ERRNOS: Readonly<Record<string, ErrnoInfo>> = {
  EPERM: { num: 1, texts: ['Operation not permitted'] },
  ENOENT: { num: 2, texts: ['No such file or directory'] },
  ESRCH: { num: 3, texts: ['No such process'] },
  EINTR: { num: 4, texts: ['Interrupted system call'] },
  EIO: { num: 5, texts: ['Input/output error', 'I/O error'] },
  E2BIG: { num: 7, texts: ['Argument list too long'] },
  EBADF: { num: 9, texts: ['Bad file descriptor'] },
  EAGAIN: { num: 11, texts: ['Resource temporarily unavailable'] },
  ENOMEM: { num: 12, texts: ['Cannot allocate memory', 'Out of memory'] },
  EACCES: { num: 13, texts: ['Permission denied'] },
  EFAULT: { num: 14, texts: ['Bad address'] },
  EBUSY: { num: 16, texts: ['Device or resource busy', 'Resource busy'] },
  EEXIST: { num: 17, texts: ['File exists'] },
  ENODEV: { num: 19, texts: ['No such device'] },
  ENOTDIR: { num: 20, texts: ['Not a directory'] },
  EINVAL: { num: 22, texts: ['Invalid argument'] },
  EMFILE: { num: 24, texts: ['Too many open files', 'No file descriptors available'] },
  ENOSPC: { num: 28, texts: ['No space left on device'] },
  ERANGE: { num: 34, texts: ['Numerical result out of range', 'Result not representable'] },
  ENAMETOOLONG: { num: 36, texts: ['File name too long', 'Filename too long'] },
  ENOSYS: { num: 38, texts: ['Function not implemented'] },
  ELOOP: { num: 40, texts: ['Too many levels of symbolic links', 'Symbolic link loop'] },
  ENODATA: { num: 61, texts: ['No data available'] },
  EPROTO: { num: 71, texts: ['Protocol error'] },
  EBADMSG: { num: 74, texts: ['Bad message'] },
  EOVERFLOW: { num: 75, texts: ['Value too large for defined data type', 'Value too large for data type'] },
  EOPNOTSUPP: { num: 95, texts: ['Operation not supported', 'Not supported'] },
  ETIMEDOUT: { num: 110, texts: ['Connection timed out', 'Operation timed out'] },
  // Kernel-internal, distinct from EOPNOTSUPP; glibc prints "Unknown error 524".
  ENOTSUPP: { num: 524, texts: [] },
};

const ALIASES: Record<string, string> = { ENOTSUP: 'EOPNOTSUPP', EWOULDBLOCK: 'EAGAIN' };

const byNum = new Map<number, string>();
const byText = new Map<string, string>();
for (const [name, info] of Object.entries(ERRNOS)) {
  byNum.set(info.num, name);
  for (const t of info.texts) byText.set(t.toLowerCase(), name);
}

/**
 * The errno name for "Permission denied", "-EACCES", "EACCES", "-13", "13",
 * "Unknown error 524" or "unknown error (-524)"; undefined when it is none of these.
 */
export function errnoName(text: string): string | undefined {
  // "Operation not permitted(-1)", as libbpf prints map creation failures: the number decides.
  const withNum = /^[^()]*\((-?\d+)\)\.?$/.exec(text.trim());
  if (withNum) return byNum.get(Math.abs(Number(withNum[1])));
  const s = text.trim().replace(/\.$/, '');
  const sym = /^-?(E[A-Z0-9]+)$/.exec(s);
  if (sym?.[1]) return ALIASES[sym[1]] ?? sym[1];
  const num = /^(?:-?(\d+)|unknown error \(?-?(\d+)\)?)$/i.exec(s);
  if (num) return byNum.get(Number(num[1] ?? num[2]));
  return byText.get(s.toLowerCase());
}
