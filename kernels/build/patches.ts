// Patch series: directories of *.patch files or mbox files (b4 and patchwork write
// several patches, and often a cover letter, into one file), applied in order with
// `git am --3way`. A cover letter has no diff and is dropped.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BadInputError } from '../../common/errors.js';
import type { PatchSource } from '../recipe/recipe.js';
import { git, type SourceTree } from '../source/tree.js';
import { cachedLoreSeries, loreSeries } from './lore.js';
import { INPUT_LIMITS, readUserFile } from '../../common/input-file.js';

const PATCH_FILE = /\.(patch|diff|mbox|mbx|eml)$/;

/** Patch files in application order: each directory's files sorted by name. */
export function patchFiles(entries: string[]): string[] {
  return entries.flatMap((e) =>
    statSync(e).isDirectory()
      ? readdirSync(e).filter((f) => PATCH_FILE.test(f)).sort().map((f) => join(e, f))
      : [e],
  );
}

/**
 * The series' files: paths expanded, {lore: MSGID} fetched with b4 (or, with
 * fetch false, taken from the cache only: undefined when one is not there yet).
 */
export async function seriesFiles(entries: PatchSource[], fetch = true): Promise<string[] | undefined> {
  const out: string[] = [];
  for (const e of entries) {
    if (typeof e === 'string') out.push(...patchFiles([e]));
    else if (fetch) out.push(await loreSeries(e.lore));
    else {
      const cached = cachedLoreSeries(e.lore);
      if (!cached) return undefined;
      out.push(cached);
    }
  }
  return out;
}

/** The bytes of the series, in order, for the cache key. */
export function seriesBytes(files: string[]): Buffer[] {
  return files.map((f) => readUserFile(f, INPUT_LIMITS.patch));
}

/** The first Subject: header, unfolded, without its [PATCH ...] prefix. */
export function firstSubject(file: string): string {
  const m = /^Subject: (.*(?:\n[ \t].*)*)/m.exec(readUserFile(file, INPUT_LIMITS.patch).toString('utf8'));
  return m ? m[1]!.replace(/\n[ \t]+/g, ' ').replace(/^\[[^\]]*\]\s*/, '').trim() : '(no subject)';
}

/** Apply the series on the tree's current HEAD; a patch that does not apply is bad input. */
export async function applySeries(tree: SourceTree, files: string[]): Promise<void> {
  for (const file of files) {
    const r = await git(tree.dir, ['am', '--3way', '--empty=drop', file], { reject: false });
    if (r.exitCode === 0) continue;
    const failedAt = /Patch failed at \d+ (.*)/.exec(r.all)?.[1] ?? firstSubject(file);
    await git(tree.dir, ['am', '--abort'], { reject: false });
    const rel = relative(process.cwd(), file) || file;
    throw new BadInputError(`${rel}: patch "${failedAt}" does not apply to ${tree.describe}:\n${r.all.trim()}`, {
      file: rel,
      hint: 'rebase the series onto this source (or point the recipe at the source it was written for)',
    });
  }
}
