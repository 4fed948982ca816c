// What differs between the kinds of recipe source (a prebuilt Debian image, Debian's
// source package, a git ref, a path): each kind answers these, and nothing outside
// kernels/kinds/ asks which kind a recipe has. A recipe's patch series (files, mboxes,
// lore Message-IDs) is not a kind of its own: it goes on top of any kind that builds.
import type { KernelArtifacts } from '../recipe/artifacts.js';
import type { ResolvedRecipe, Source } from '../recipe/recipe.js';

export interface SourceKind<S extends Source = Source> {
  /**
   * The key the recipe's kernel has in the cache as things stand now, with nothing
   * fetched, imported or built; undefined where that cannot be known yet (a git ref
   * never fetched, an image apt has not been asked about).
   */
  key(s: S, r: ResolvedRecipe): Promise<string | undefined>;
  /** The kernel: its source fetched and prepared (imported, patched, configured) and built, each only where the cache lacks it. */
  artifacts(s: S, r: ResolvedRecipe): Promise<KernelArtifacts>;
  /** The kernel when the cache holds all of it already; undefined where artifacts() would fetch or build. */
  cached(s: S, r: ResolvedRecipe): Promise<KernelArtifacts | undefined>;
  /** What `kernel list` says of it: where it is in the cache, or what it would take. */
  state(s: S, r: ResolvedRecipe): Promise<string>;
  /**
   * What of the cache it uses now, so that kernel gc keeps it: the keys of built kernels
   * and the directories of imported trees. Throws where that cannot be told (apt
   * failing): gc then removes nothing, since a kernel takes minutes to build again.
   */
  inUse(s: S, r: ResolvedRecipe): Promise<{ builtKeys: string[]; trees: string[] }>;
}

/** A recipe's kind with the recipe bound: what resolve.ts, gc.ts and kernel list call. */
export interface RecipeKind {
  /** debian-image, debian-source, git, path. */
  name: Source['kind'];
  key(): Promise<string | undefined>;
  artifacts(): Promise<KernelArtifacts>;
  cached(): Promise<KernelArtifacts | undefined>;
  state(): Promise<string>;
  inUse(): Promise<{ builtKeys: string[]; trees: string[] }>;
}
