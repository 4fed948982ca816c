// recipe -> built kernel in the cache: source tree, patch series, .config, make with an
// out-of-tree O= dir kept per (source, config) for incremental rebuilds, ccache, the
// tree's tools; published atomically under a key of everything that decides the build,
// with a lock so two runs never build on one tree at once.
import { archInfo, DEFAULT_ARCH } from '../../common/arch.js';
import { execa } from 'execa';
import { copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { BadInputError } from '../../common/errors.js';
import { withLock } from '../../common/lock.js';
import { cacheDir } from '../../common/paths.js';
import { progress } from '../../common/progress.js';
import { publishOnce } from '../../common/publish.js';
import { lease } from '../../common/lease.js';
import { readArtifacts, type KernelArtifacts } from '../recipe/artifacts.js';
import type { ResolvedRecipe, TreeModule } from '../recipe/recipe.js';
import type { SourceTree } from '../source/tree.js';
import { cacheKey, configHash, toolchainVersions } from './cache-key.js';
import { configure } from './config.js';
import { parseConfig } from './fragments.js';
import { jobs, makeQuery, runMake } from './make.js';
import { seriesBytes, seriesFiles } from './patches.js';
import { checkoutSeries } from './series.js';
import { buildTools } from './tools.js';
import { buildTreeModules } from './tree-modules.js';

export interface BuiltKernel extends KernelArtifacts {
  key: string;
  createdAt: string;
  buildLog: string;
}

/** The start of the name of every O= dir built from the tree at treeDir (plain characters: make reads '=' in a path as an assignment). */
export const buildDirPrefix = (treeDir: string) =>
  `${basename(treeDir).replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 40)}-${createHash('sha256').update(treeDir).digest('hex').slice(0, 8)}-`;

export const builtDir = (key: string) => cacheDir('kernels', 'built', key);

/** The kernel built under key, named as the recipe asking for it (two recipes may build the same). */
export function readBuilt(key: string, name: string): BuiltKernel | undefined {
  const b = readBuiltKernel(key);
  return b && { ...b, name };
}

let ccache: Promise<boolean> | undefined;
const haveCcache = () => (ccache ??= execa('ccache', ['--version'], { reject: false }).then((r) => r.exitCode === 0, () => false));

/** The modules as the key has always held them (their directories), a module not loaded at boot marked so. */
const moduleKeys = (ms: TreeModule[]) => ms.map((m) => (m.boot ? m.dir : `${m.dir} (not at boot)`));

function keyOf(recipe: ResolvedRecipe, sourceIdentity: string, patches: string[], toolchain: string[]): string {
  const c = recipe.config!;
  return cacheKey({ sourceIdentity, patches: seriesBytes(patches), base: c.base, fragments: c.fragments, drop: c.drop, modules: moduleKeys(recipe.modules), toolchain });
}

/**
 * The key the recipe builds under from a source of this identity, without fetching
 * anything (a lore series counts only when fetched before); undefined when that cannot be known.
 */
export async function builtKey(recipe: ResolvedRecipe, sourceIdentity: string): Promise<string | undefined> {
  if (!recipe.config) return undefined;
  const files = await seriesFiles(recipe.patches, false);
  return files && keyOf(recipe, sourceIdentity, files, await toolchainVersions());
}

/** The built kernel under key; undefined when absent or corrupt (then it is built again). */
export function readBuiltKernel(key: string): BuiltKernel | undefined {
  return readArtifacts<BuiltKernel>(join(builtDir(key), 'artifacts.json'), ['key', 'createdAt', 'buildLog']);
}

/** The key this recipe builds under from this tree, and its patch files. */
async function recipeKey(recipe: ResolvedRecipe, tree: SourceTree): Promise<{ key: string; patches: string[] }> {
  if (!recipe.config) throw new BadInputError(`${recipe.file}: a recipe that builds needs config:`, { file: recipe.file });
  const patches = (await seriesFiles(recipe.patches))!;
  if (!tree.owned && patches.length) {
    throw new BadInputError(`${recipe.file}: patches cannot be applied to a path: source (the harness never modifies your tree)`, {
      file: recipe.file, hint: 'apply them in your tree (git am), or use a git: or debian-source: source',
    });
  }
  return { key: keyOf(recipe, tree.identity, patches, await toolchainVersions()), patches };
}

/** The recipe's kernel built from tree (its source kind fetched or imported it), or taken from the cache. */
export async function buildKernel(recipe: ResolvedRecipe, tree: SourceTree): Promise<BuiltKernel> {
  const { key, patches } = await recipeKey(recipe, tree);
  // kernel gc leaves a kernel alone while a run uses it.
  lease(builtDir(key));
  const hit = readBuilt(key, recipe.name);
  if (hit) {
    progress(`kernel ${recipe.name}: cached build ${key}`);
    return hit;
  }
  return withLock(tree.dir, `building on ${tree.dir}`, async () => {
    // Another run may have built it while we waited.
    const again = readBuilt(key, recipe.name);
    return again || build(recipe, key, tree, patches);
  });
}

async function build(recipe: ResolvedRecipe, key: string, tree: SourceTree, patches: string[]): Promise<BuiltKernel> {
  const cfg = recipe.config!;
  const label = `building ${recipe.name}`;
  let commit = tree.base;
  if (tree.owned) {
    if (patches.length) progress(`kernel ${recipe.name}: applying ${patches.length} patch file(s) with git am --3way`);
    commit = await checkoutSeries(tree, patches);
  }
  // One O= dir per (tree location, config): a path: tree's edits or a git ref's new commits
  // rebuild incrementally in it.
  const odir = cacheDir('build', `${buildDirPrefix(tree.dir)}${configHash(cfg.base, cfg.fragments, cfg.drop)}`);
  mkdirSync(odir, { recursive: true });
  const unlease = lease(odir);
  const log = join(odir, `build-${key}.log`);
  rmSync(log, { force: true });
  progress(`${label} (${key}) from ${tree.describe}; full log: ${log}`);
  const t0 = Date.now();
  const configText = await configure(tree.dir, odir, cfg, log, label);
  const cc = (await haveCcache()) ? ['CC=ccache gcc', 'HOSTCC=ccache gcc'] : [];
  const modules = parseConfig(configText).get('CONFIG_MODULES') === 'y';
  const arch = archInfo(DEFAULT_ARCH);
  await runMake(['-C', tree.dir, `O=${odir}`, `-j${jobs()}`, ...cc, arch.bootTarget, ...(modules ? ['modules'] : [])], {
    cwd: tree.dir, log, label, odir,
  });
  const kernelRelease = await makeQuery(tree.dir, odir, ['kernelrelease']);

  const out = builtDir(key);
  const published = () => readBuiltKernel(key) !== undefined;
  const built = await publishOnce(out, join(out, 'artifacts.json'), label, () => readBuilt(key, recipe.name)!, async (tmp) => {
    copyFileSync(join(odir, arch.bootImage), join(tmp, 'bzImage'));
    copyFileSync(join(odir, 'vmlinux'), join(tmp, 'vmlinux'));
    copyFileSync(join(odir, '.config'), join(tmp, 'config'));
    let modulesDir: string | undefined;
    if (modules) {
      await runMake(['-C', tree.dir, `O=${odir}`, `INSTALL_MOD_PATH=${join(tmp, 'modules')}`, 'modules_install'], { cwd: tree.dir, log, label: `${label} (modules_install)` });
      await buildTreeModules(recipe.modules.map((m) => m.dir), tree.dir, odir, join(tmp, 'modules'), log, label);
      modulesDir = join(out, 'modules', 'lib', 'modules', kernelRelease);
    } else if (recipe.modules.length) {
      throw new BadInputError(`${recipe.file}: modules: ${recipe.modules.map((m) => m.dir).join(', ')} need CONFIG_MODULES=y, and the config has it unset`, { file: recipe.file, hint: 'add CONFIG_MODULES=y to a fragment' });
    }
    const tools = await buildTools(tree.dir, odir, join(tmp, 'vmlinux'), tmp, log, label);
    copyFileSync(log, join(tmp, 'build.log'));
    // Paths point at the published location: publishOnce renames tmp there.
    const at = (p: string) => p.replace(tmp, out);
    const artifacts: BuiltKernel = {
      name: recipe.name, key, release: kernelRelease, origin: `${tree.describe}${patches.length ? ` + ${patches.length} patch file(s)` : ''}`,
      bzImage: join(out, 'bzImage'), config: join(out, 'config'), vmlinux: join(out, 'vmlinux'), modulesDir,
      bpftool: at(tools.bpftool), includeDirs: tools.includeDirs.map(at), vmlinuxH: tools.vmlinuxH && at(tools.vmlinuxH),
      createdAt: new Date().toISOString(), buildLog: join(out, 'build.log'),
      // A path: tree's uncommitted changes are not in this commit: {tree:} programs read HEAD.
      tree: { dir: tree.dir, commit },
      ...(recipe.modules.some((m) => m.boot) ? { bootModules: recipe.modules.filter((m) => m.boot).map((m) => basename(m.dir)) } : {}),
    };
    writeFileSync(join(tmp, 'artifacts.json'), JSON.stringify(artifacts, null, 2));
  }, published);
  const size = statSync(built.bzImage).size;
  progress(`${label}: done in ${Math.round((Date.now() - t0) / 1000)}s, ${kernelRelease}, bzImage ${(size / 1e6).toFixed(1)} MB`);
  unlease();
  return built;
}
