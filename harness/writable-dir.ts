// Directories the harness writes (the cache, a run's artifacts) checked up front, so that
// an unusable one is one clear error naming it instead of a stack from deep in a build.
// Exit 2 (bad input), not 3: the location comes from the user's settings (environment,
// --out, the working directory), nothing has been changed yet, and fixing the setting
// fixes it; 3 is for machinery failing under a correct setup.
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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

/** The artifacts directory of run, compare and bisect. */
export function ensureOutDirWritable(dir: string): void {
  const problem = dirProblem(dir);
  if (problem)
    throw new BadInputError(`cannot use the artifacts directory ${dir}: ${problem.detail}`, {
      hint: `pass --out naming a directory ${who()} can write (without --out it is out/ in the working directory), or ${problem.fix}`,
    });
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
