// The .config: base (tinyconfig | defconfig | a file) plus fragments, merged with the
// tree's own scripts/kconfig/merge_config.sh, then olddefconfig. Every option a fragment
// asked for that the result lacks is an error naming the fragment line.
import { execa } from 'execa';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../../harness/errors.js';
import type { ConfigBase } from '../recipe.js';
import { droppedOptions } from './fragments.js';
import { buildEnv, runMake } from './make.js';

export async function configure(
  tree: string, odir: string, cfg: { base: ConfigBase; fragments: string[] }, log: string, label: string,
): Promise<string> {
  const config = join(odir, '.config');
  if (cfg.base.kind === 'file') copyFileSync(cfg.base.file, config);
  else await runMake(['-C', tree, `O=${odir}`, cfg.base.kind], { cwd: tree, log, label: `${label} (${cfg.base.kind})` });
  if (cfg.fragments.length) {
    // -m: merge only; olddefconfig below resolves dependencies once for all fragments.
    const r = await execa(join(tree, 'scripts', 'kconfig', 'merge_config.sh'), ['-m', '-O', odir, config, ...cfg.fragments], {
      cwd: tree, env: buildEnv(), reject: false, all: true,
    });
    if (r.exitCode !== 0) throw new BadInputError(`merge_config.sh failed:\n${r.all ?? ''}`, { hint: 'check the config fragments' });
  }
  await runMake(['-C', tree, `O=${odir}`, 'olddefconfig'], { cwd: tree, log, label: `${label} (olddefconfig)` });
  const text = readFileSync(config, 'utf8');
  const dropped = droppedOptions(cfg.fragments, text);
  if (dropped.length) throw BadInputError.fromProblems(dropped);
  return text;
}
