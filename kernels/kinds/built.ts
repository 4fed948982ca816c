// The kinds a kernel is built from (Debian source, git, path) differ only in how their
// tree is had and named; the key, the cache and the build are the builder's, shared.
import { duBytes, mb } from '../../common/disk-usage.js';
import { builtDir, builtKey, buildKernel, readBuilt } from '../build/builder.js';
import type { ResolvedRecipe, Source } from '../recipe/recipe.js';
import type { SourceTree } from '../source/tree.js';
import type { SourceKind } from './kind.js';

export interface TreeSource<S extends Source> {
  /** The source's identity as the cache knows it, with nothing fetched or imported; undefined when it was never fetched. */
  identity(s: S, r: ResolvedRecipe): Promise<string | undefined>;
  /** The tree to build: fetched or imported where the cache lacks it. */
  tree(s: S, r: ResolvedRecipe): Promise<SourceTree>;
  /** The cache directory its tree is imported into, where the cache holds it for this kind (kernel gc keeps it). */
  treeDir?(s: S, r: ResolvedRecipe): Promise<string | undefined>;
}

export function builtKind<S extends Source>(src: TreeSource<S>): SourceKind<S> {
  const key = async (s: S, r: ResolvedRecipe) => {
    const id = await src.identity(s, r);
    return id === undefined ? undefined : builtKey(r, id);
  };
  return {
    key,
    artifacts: async (s, r) => buildKernel(r, await src.tree(s, r)),
    cached: async (s, r) => {
      const k = await key(s, r);
      return k ? readBuilt(k, r.name) : undefined;
    },
    state: async (s, r) => {
      const k = await key(s, r).catch(() => undefined);
      const b = k ? readBuilt(k, r.name) : undefined;
      return b ? `built ${b.createdAt.slice(0, 16).replace('T', ' ')}  ${b.release}  ${mb(duBytes(builtDir(b.key)))}  (${b.key})`
        : k ? `not built (${k})` : 'not built (source not fetched yet)';
    },
    inUse: async (s, r) => {
      const k = await key(s, r);
      const dir = await src.treeDir?.(s, r);
      return { builtKeys: k ? [k] : [], trees: dir ? [dir] : [] };
    },
  };
}
