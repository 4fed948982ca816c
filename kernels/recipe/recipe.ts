// A recipe with `extends` followed and every path made absolute: what the kernel
// fetchers and the builder work from.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { BadInputError } from '../../common/errors.js';
import { repoRoot } from '../../common/paths.js';
import { loadRecipeFile } from './load.js';
import type { RecipeFile } from './schema.js';

export type Source =
  | { kind: 'debian-image'; pkg: string }
  | { kind: 'debian-source'; pkg: string; /** pinned: pkg=VERSION in the recipe */ version?: string }
  | { kind: 'git'; url: string; ref: string }
  | { kind: 'path'; dir: string };

export type PatchSource = string | { lore: string };

export type ConfigBase = { kind: 'tinyconfig' | 'defconfig' } | { kind: 'file'; file: string };

/** A config fragment: a file (absolute path), or a file of the kernel's own tree. */
export type FragmentRef = string | { tree: string };

export interface RecipeConfig {
  base: ConfigBase;
  fragments: FragmentRef[];
  /** CONFIG_X -> why it is left out of the fragments that ask for it. */
  drop: Record<string, string>;
}

export interface TreeModule {
  /** Its directory in the kernel tree. */
  dir: string;
  boot: boolean;
}

export interface ResolvedRecipe {
  name: string;
  file: string;
  source: Source;
  config?: RecipeConfig;
  /** Patch files or directories of them, or lore Message-IDs, in order, base recipe's first. */
  patches: PatchSource[];
  /** Out-of-tree module directories of the kernel tree, built against it, installed in its guests, and loaded there at boot unless boot is false. */
  modules: TreeModule[];
  /** The chain of recipe files, this one first. */
  chain: string[];
}

function sourceOf(r: RecipeFile): Source | undefined {
  const s = r.source;
  if (!s) return undefined;
  const here = dirname(r.file);
  if (s['debian-image']) return { kind: 'debian-image', pkg: s['debian-image'] };
  if (s['debian-source']) {
    const [pkg, version] = s['debian-source'].split('=', 2) as [string, string | undefined];
    return { kind: 'debian-source', pkg, ...(version ? { version } : {}) };
  }
  if (s.git) return { kind: 'git', url: s.git.url, ref: s.git.ref };
  if (s.path) return { kind: 'path', dir: resolve(here, s.path) };
  return undefined;
}

function baseOf(base: string, here: string): ConfigBase {
  return base === 'tinyconfig' || base === 'defconfig' ? { kind: base } : { kind: 'file', file: resolve(here, base) };
}

/** Follow `extends:` (looked up beside the recipe, as NAME.yaml) and resolve paths. */
export function resolveRecipe(file: string, seen: string[] = []): ResolvedRecipe {
  const r = loadRecipeFile(file);
  const here = dirname(r.file);
  if (seen.includes(r.file)) {
    throw new BadInputError(`${r.file}: extends forms a cycle: ${[...seen, r.file].join(' -> ')}`, { file: r.file, hint: 'break the cycle' });
  }
  let parent: ResolvedRecipe | undefined;
  if (r.extends) {
    // Beside the recipe first, then the shipped recipes (so a recipe anywhere can extend scx-6.12).
    const pfile = [here, join(repoRoot, 'kernels')].flatMap((d) => ['yaml', 'yml'].map((e) => join(d, `${r.extends}.${e}`))).find((p) => existsSync(p));
    if (!pfile) {
      throw new BadInputError(`${r.file}: extends: ${r.extends}, but there is no ${r.extends}.yaml beside it or in kernels/`, {
        file: r.file, hint: 'name a recipe in the same directory or a shipped one (bpf-harness kernel list)',
      });
    }
    parent = resolveRecipe(pfile, [...seen, r.file]);
  }
  const source = sourceOf(r) ?? parent?.source;
  if (!source) throw new BadInputError(`${r.file}: no source`, { file: r.file });
  const own: RecipeConfig | undefined = r.config && {
    base: baseOf(r.config.base, here), fragments: r.config.fragments.map((f) => (typeof f === 'string' ? resolve(here, f) : f)), drop: r.config.drop,
  };
  // A child's config adds fragments (and drops) after its parent's; its base, when given, replaces the parent's.
  const config = parent?.config && own
    ? { base: own.base, fragments: [...parent.config.fragments, ...own.fragments], drop: { ...parent.config.drop, ...own.drop } }
    : own ?? parent?.config;
  const patches: PatchSource[] = [...(parent?.patches ?? []), ...r.patches.map((p) => (typeof p === 'string' ? resolve(here, p) : p))];
  for (const p of patches) {
    if (typeof p === 'string' && !existsSync(p)) {
      throw new BadInputError(`${r.file}: patches: ${p} does not exist`, { file: r.file, hint: 'list directories of *.patch files or mbox files' });
    }
  }
  for (const f of config?.fragments ?? []) {
    if (typeof f === 'string' && !existsSync(f)) throw new BadInputError(`${r.file}: config fragment ${f} does not exist`, { file: r.file });
  }
  // A module named again (by a recipe that extends) takes the later entry's boot.
  const byDir = new Map<string, TreeModule>([...(parent?.modules ?? []), ...r.modules.map((m) => ({ dir: m.tree, boot: m.boot }))].map((m) => [m.dir, m]));
  const modules = [...byDir.values()];
  return { name: r.name, file: r.file, source, config, patches, modules, chain: [r.file, ...(parent?.chain ?? [])] };
}
