// Directories the harness writes (the cache, a run's artifacts) checked up front, so that
// an unusable one is one clear error naming it instead of a stack from deep in a build.
// Exit 2 (bad input), not 3: the location comes from the user's settings (environment,
// --out, the working directory), nothing has been changed yet, and fixing the setting
// fixes it; 3 is for machinery failing under a correct setup.
import { accessSync, constants, existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { BadInputError } from './errors.js';
import { cacheRoot, cacheRootOrigin } from './paths.js';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'not a directory',
  ENOSPC: 'no space left on the device',
};

function nearestExisting(p: string): string {
  let cur = resolve(p);
  while (!existsSync(cur) && dirname(cur) !== cur) cur = dirname(cur);
  return cur;
}

interface DirProblem {
  /** What failed, e.g. "cannot create it: permission denied (EACCES) in /var". */
  detail: string;
  /** The fix in place, e.g. "make /var readable and writable for uid 1000". */
  fix: string;
}

// The kernel's pseudo file systems keep no files (and under /proc Node's recursive
// mkdirSync loops at 100% CPU instead of failing).
const PSEUDO_FS = ['/proc', '/sys'];

/** Where dir lies under /proc or /sys once symlinks are followed, or undefined. */
function pseudoFsProblem(dir: string): DirProblem | undefined {
  const at = nearestExisting(dir);
  let real: string;
  try {
    real = realpathSync.native(at);
  } catch {
    return undefined;
  }
  const root = PSEUDO_FS.find((r) => real === r || real.startsWith(`${r}/`));
  if (!root) return undefined;
  const resolved = join(real, relative(at, resolve(dir)));
  const via = resolved === resolve(dir) ? '' : ` (it resolves to ${resolved})`;
  return {
    detail: `it is under ${root}${via}, a kernel pseudo file system that keeps no files`,
    fix: `use a directory on a disk, outside ${PSEUDO_FS.join(' and ')}`,
  };
}

function who(): string {
  return typeof process.getuid === 'function' ? `uid ${process.getuid()}` : 'this user';
}

function fixFor(code: string, at: string): string {
  if (code === 'EROFS') return `use a directory on a writable file system (${at} is read-only)`;
  if (code === 'ENOSPC') return `free some space on the file system of ${at}`;
  return `make ${at} readable and writable for ${who()}`;
}

/** Why dir cannot be created, read and written by this user, or undefined; creates it. */
function dirProblem(dir: string): DirProblem | undefined {
  const pseudo = pseudoFsProblem(dir);
  if (pseudo) return pseudo;
  try {
    if (!existsSync(dir)) {
      const at = nearestExisting(dir);
      if (!statSync(at).isDirectory())
        return { detail: `cannot create it: ${at} is a file, not a directory (ENOTDIR)`, fix: `remove or rename the file ${at}` };
      mkdirSync(dir, { recursive: true });
    }
    if (!statSync(dir).isDirectory()) return { detail: 'it exists and is not a directory', fix: `remove or rename the file ${dir}` };
    // access() asks the kernel with this process's ids, root's override and
    // read-only mounts included.
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const reason = `${REASONS[code] ?? (e as Error).message}${code ? ` (${code})` : ''}`;
    if ((e as NodeJS.ErrnoException).syscall === 'mkdir') {
      const at = nearestExisting(dir);
      return { detail: `cannot create it: ${reason} in ${at}`, fix: fixFor(code, at) };
    }
    return { detail: `no read and write access to it: ${reason}`, fix: fixFor(code, dir) };
  }
}

function cacheError(p: DirProblem): BadInputError {
  return new BadInputError(`cannot use the cache directory ${cacheRoot()} (from ${cacheRootOrigin()}): ${p.detail}`, {
    hint: `set BPF_HARNESS_CACHE (or XDG_CACHE_HOME) to a directory ${who()} can write, or ${p.fix}`,
  });
}

/** For commands that fetch, build or lock: the cache root must exist and be writable. */
export function ensureCacheWritable(): void {
  const problem = dirProblem(cacheRoot());
  if (problem) throw cacheError(problem);
}

function outDirError(dir: string, p: DirProblem): BadInputError {
  return new BadInputError(`cannot use the artifacts directory ${dir}: ${p.detail}`, {
    hint: `pass --out naming a directory ${who()} can write (without --out it is out/ in the working directory), or ${p.fix}`,
  });
}

/** The artifacts directory of run, compare, bisect and report merge; creates it. */
export function ensureOutDirWritable(dir: string): void {
  const problem = dirProblem(dir);
  if (problem) throw outDirError(dir, problem);
}

/** The artifacts directory is not under /proc or /sys; checked without creating anything. */
export function refusePseudoFsOutDir(dir: string): void {
  const problem = pseudoFsProblem(dir);
  if (problem) throw outDirError(dir, problem);
}

// A full disk mid-build is not a setting to fix: it stays out of this.
const FS_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR']);

/**
 * A file-system error on a path in the cache (a subdirectory another user made, a
 * read-only mount) as the same clear error; undefined for anything else.
 */
export function cacheErrorOf(e: unknown): BadInputError | undefined {
  const err = e as NodeJS.ErrnoException;
  const root = cacheRoot();
  if (!err || !FS_CODES.has(err.code ?? '') || typeof err.path !== 'string') return undefined;
  if (err.path !== root && !err.path.startsWith(`${root}/`)) return undefined;
  const detail = `cannot ${err.syscall ?? 'use'} ${err.path}: ${REASONS[err.code!]} (${err.code})`;
  return cacheError({ detail, fix: err.code === 'ENOTDIR' ? `check the files under ${root}` : fixFor(err.code!, err.path) });
}
