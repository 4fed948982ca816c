// Putting a patch series on a source tree. Each (base, series) is applied once and kept
// as a ref; later builds check that commit out, which rewrites only the files that differ
// from the current checkout, so make rebuilds only what the change touched.
import { createHash } from 'node:crypto';
import { git, type SourceTree } from '../source/tree.js';
import { applySeries, seriesBytes } from './patches.js';

export async function checkoutSeries(tree: SourceTree, files: string[]): Promise<string> {
  const h = createHash('sha256').update(tree.base);
  for (const b of seriesBytes(files)) h.update('\0').update(b);
  const ref = `refs/bpf-harness/series/${h.digest('hex').slice(0, 20)}`;
  await git(tree.dir, ['am', '--abort'], { reject: false });
  const known = await git(tree.dir, ['rev-parse', '--verify', '-q', ref], { reject: false });
  const target = known.exitCode === 0 ? known.stdout.trim() : tree.base;
  await git(tree.dir, ['checkout', '-q', '-f', '--detach', target]);
  await git(tree.dir, ['clean', '-q', '-f', '-d', '-x']);
  if (known.exitCode === 0) return target;
  try {
    await applySeries(tree, files);
  } catch (e) {
    await git(tree.dir, ['checkout', '-q', '-f', '--detach', tree.base]);
    throw e;
  }
  const head = (await git(tree.dir, ['rev-parse', 'HEAD'])).stdout.trim();
  await git(tree.dir, ['update-ref', ref, head]);
  return head;
}
