// Where a command keeps its artifacts: --out DIR, new or empty unless --force, or else a
// directory of its own, out/KIND-YYYYMMDD-HHMMSS (-2, -3, ... when that name is taken).
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BadInputError } from '../../common/errors.js';
import { ensureOutDirWritable, refusePseudoFsOutDir } from '../../common/writable-dir.js';

export interface OutDirFlags {
  out?: string;
  force?: boolean;
}

export type OutKind = 'run' | 'compare' | 'bisect';

/**
 * --out DIR naming a directory that already holds files: refused without --force, so
 * that a run's artifacts are never mixed with another's; and one under /proc or /sys.
 * Changes nothing.
 */
export function refuseUsedOutDir(flags: OutDirFlags): void {
  if (!flags.out) return;
  const dir = resolve(flags.out);
  // /proc/self holds files too, but that is not what is wrong with it.
  refusePseudoFsOutDir(dir);
  if (flags.force) return;
  let entries: string[];
  try {
    entries = statSync(dir).isDirectory() ? readdirSync(dir) : [];
  } catch {
    // Missing or unreadable: the writability check says what is wrong, if anything.
    return;
  }
  if (!entries.length) return;
  const shown = entries.sort().slice(0, 3).join(', ') + (entries.length > 3 ? ', ...' : '');
  throw new BadInputError(`--out ${flags.out}: ${dir} already holds files (${shown})`, {
    hint: 'name a new or empty directory with --out, or add --force to write into this one (files of the same names are replaced)',
  });
}

/** The artifacts directory, made and checked writable (exit 2 otherwise). */
export function prepareOutDir(kind: OutKind, flags: OutDirFlags, now = new Date()): string {
  if (flags.out) {
    const dir = resolve(flags.out);
    refuseUsedOutDir(flags);
    ensureOutDirWritable(dir);
    return dir;
  }
  const parent = resolve('out');
  ensureOutDirWritable(parent);
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  // mkdir without recursive claims the name: two runs started in the same second (even
  // at the same moment) get different directories.
  for (let n = 1; ; n++) {
    const dir = join(parent, `${kind}-${stamp}${n > 1 ? `-${n}` : ''}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}
