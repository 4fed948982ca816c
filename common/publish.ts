// Publishing into the cache: build in a temporary sibling, then rename into place under a
// lock. A published directory is never replaced while someone may be using it: if it
// appeared meanwhile, the new copy is thrown away and the existing one is used.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { withLock } from './lock.js';

/** A publish's scratch directory is its target's name plus `.tmp-PID`: that pid, else undefined. */
export function scratchPid(name: string): number | undefined {
  const m = /\.tmp-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * Make dir with make(tmp), tmp an empty sibling, and rename it into place (replacing a
 * leftover of an interrupted publish); the caller holds the lock on dir. The temporary
 * directory is removed whatever happens.
 */
export async function publishDir(dir: string, make: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await make(tmp);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Return read(dir) if dir is published (by default: its stamp file exists; isPublished
 * can also refuse a corrupt stamp); otherwise make it with make(tmp), tmp an empty
 * directory, and publish. The temporary directory is removed whatever happens.
 */
export async function publishOnce<T>(
  dir: string, stamp: string, what: string, read: () => T, make: (tmp: string) => Promise<void>, isPublished = () => existsSync(stamp),
): Promise<T> {
  if (isPublished()) return read();
  return withLock(dir, what, async () => {
    if (isPublished()) return read();
    // A directory without its stamp is a leftover of an interrupted publish, or corrupt: replaced.
    await publishDir(dir, make);
    return read();
  });
}

/**
 * Replace file with data as one rename: a reader (or a crash) sees the old content or the
 * new, never a part. The temporary file is a sibling, so the rename stays on one file system.
 */
export function writeFileAtomically(file: string, data: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}
