// Containment on real paths: a path's text can stay inside a folder while a symlink on
// the way leads out of it, so what a scenario names is checked after symlinks.
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { repoRoot } from './paths.js';

/**
 * Where `p` really leads: the real path of its deepest existing ancestor, with the rest
 * (not made yet) appended. A dangling symlink on the way counts as the place it names.
 */
export function realPathOf(p: string): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    if (parent === abs) return abs;
    return join(realPathOf(parent), basename(abs));
  }
}

/** Whether `p` (after symlinks) is `root` or under it (after symlinks). */
export function isInside(root: string, p: string): boolean {
  const rel = relative(realPathOf(root), realPathOf(p));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * What a scenario's own files (programs, selftests and what they include) must stay
 * inside: the harness's checkout for its shipped scenarios and fixtures, else the
 * scenario's repository (the first folder up with a .git), else the scenario's folder.
 */
export function scenarioSandbox(scenarioFile: string): string {
  const dir = dirname(resolve(scenarioFile));
  if (isInside(repoRoot, dir)) return realPathOf(repoRoot);
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return realPathOf(d);
    if (dirname(d) === d) return realPathOf(dir);
  }
}
