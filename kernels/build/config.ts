// The .config: base (tinyconfig | defconfig | a file) plus fragments, merged with the
// tree's own scripts/kconfig/merge_config.sh, then olddefconfig. Every option a fragment
// asked for that the result lacks is an error naming the fragment line.
import { execa } from 'execa';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../../common/errors.js';
import type { RecipeConfig } from '../recipe/recipe.js';
import { droppedOptions } from './fragments.js';
import { buildEnv, runMake } from './make.js';

/**
 * Fragment files to merge: the recipe's own as they are; the tree's copied into the O= dir
 * with the options the recipe drops commented out, saying why.
 */
function fragmentFiles(tree: string, odir: string, cfg: RecipeConfig): string[] {
  return cfg.fragments.map((f, i) => {
    if (typeof f === 'string') return f;
    const src = join(tree, f.tree);
    if (!existsSync(src)) throw new BadInputError(`config fragment {tree: ${f.tree}}: no such file in the kernel tree`, { hint: 'paths are relative to the top of the tree' });
    const lines = readFileSync(src, 'utf8').split('\n').map((l) => {
      const opt = /^(?:# )?(CONFIG_[A-Za-z0-9_]+)[= ]/.exec(l)?.[1];
      const why = opt && cfg.drop[opt];
      return why ? `# dropped by the recipe (${why}): ${l}` : l;
    });
    mkdirSync(join(odir, 'fragments'), { recursive: true });
    const copy = join(odir, 'fragments', `${i}-${f.tree.replace(/[^A-Za-z0-9._-]+/g, '_')}`);
    writeFileSync(copy, `# ${f.tree} of the kernel tree, as bpf-harness merges it\n${lines.join('\n')}`);
    return copy;
  });
}

export async function configure(tree: string, odir: string, cfg: RecipeConfig, log: string, label: string): Promise<string> {
  const config = join(odir, '.config');
  const fragments = fragmentFiles(tree, odir, cfg);
  if (cfg.base.kind === 'file') copyFileSync(cfg.base.file, config);
  else await runMake(['-C', tree, `O=${odir}`, cfg.base.kind], { cwd: tree, log, label: `${label} (${cfg.base.kind})` });
  if (fragments.length) {
    // -m: merge only; olddefconfig below resolves dependencies once for all fragments.
    const r = await execa(join(tree, 'scripts', 'kconfig', 'merge_config.sh'), ['-m', '-O', odir, config, ...fragments], {
      cwd: tree, env: buildEnv(), reject: false, all: true,
    });
    if (r.exitCode !== 0) throw new BadInputError(`merge_config.sh failed:\n${r.all ?? ''}`, { hint: 'check the config fragments' });
  }
  await runMake(['-C', tree, `O=${odir}`, 'olddefconfig'], { cwd: tree, log, label: `${label} (olddefconfig)` });
  const text = readFileSync(config, 'utf8');
  const dropped = droppedOptions(fragments, text);
  if (dropped.length) throw BadInputError.fromProblems(dropped);
  return text;
}
