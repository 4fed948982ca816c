// The kinds of recipe source, one entry each: the table is checked complete by the
// compiler, so a new kind in recipe.ts's Source does not build until it is here.
import { cachedDebianImage, debianImageSourceDir, fetchDebianImage } from '../fetch/debian-image.js';
import type { ResolvedRecipe, Source } from '../recipe/recipe.js';
import { debianSource, debianSourceDir, debianSourceIdentity } from '../source/debian-source.js';
import { gitCachedIdentity, gitSource } from '../source/git-source.js';
import { pathSource } from '../source/path-source.js';
import { builtKind } from './built.js';
import type { RecipeKind, SourceKind } from './kind.js';

type Of<K extends Source['kind']> = Extract<Source, { kind: K }>;

/** A recipe's pin (pkg=VERSION) as the Debian source import takes it. */
const pinned = (s: Of<'debian-source'>) => (s.version ? { version: s.version, pinned: true } : undefined);

const KINDS: { [K in Source['kind']]: SourceKind<Of<K>> } = {
  'debian-image': {
    // Nothing is built: the key is the package apt would give, which needs apt; state and gc ask it.
    key: async () => undefined,
    artifacts: (s, r) => fetchDebianImage(r.name, s.pkg, r.file),
    cached: (s, r) => cachedDebianImage(r.name, s.pkg, r.file),
    state: async (s) => `prebuilt package ${s.pkg}`,
    inUse: async (s, r) => {
      const dir = await debianImageSourceDir(s.pkg, r.file);
      return { builtKeys: [], trees: dir ? [dir] : [] };
    },
  },
  'debian-source': builtKind<Of<'debian-source'>>({
    identity: async (s, r) => (await debianSourceIdentity(s.pkg, r.file, pinned(s))).identity,
    tree: (s, r) => debianSource(s.pkg, r.file, pinned(s)),
    treeDir: (s, r) => debianSourceDir(s.pkg, r.file, pinned(s)),
  }),
  // A ref never fetched has no identity yet, and nothing of it in the cache to keep.
  git: builtKind<Of<'git'>>({
    identity: (s) => gitCachedIdentity(s.url, s.ref),
    tree: (s) => gitSource(s.url, s.ref),
  }),
  path: builtKind<Of<'path'>>({
    identity: async (s, r) => (await pathSource(s.dir, r.file)).identity,
    tree: (s, r) => pathSource(s.dir, r.file),
  }),
};

/** The recipe's source kind, bound to the recipe. */
export function kindOf(r: ResolvedRecipe): RecipeKind {
  // The table's entry for r.source.kind takes exactly that member of Source; the compiler cannot pair them up itself.
  const k = KINDS[r.source.kind] as SourceKind;
  const s = r.source;
  return {
    name: s.kind,
    key: () => k.key(s, r),
    artifacts: () => k.artifacts(s, r),
    cached: () => k.cached(s, r),
    state: () => k.state(s, r),
    inUse: () => k.inUse(s, r),
  };
}
