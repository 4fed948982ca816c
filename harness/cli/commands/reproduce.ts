// bpf-harness reproduce MBOX SCENARIO... [--base K] [--name N]: for a reviewer with a
// series from a mailing list, one command builds the base and base+series (incrementally)
// and ends with compare's table for the given scenarios.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BadInputError } from '../../../common/errors.js';
import { compareCommand, type CompareFlags } from './compare.js';

export interface ReproduceFlags {
  base: string;
  kernelJobs: number;
  retries: number;
  name?: string;
  reporter: CompareFlags['reporter'];
  out?: string;
  force?: boolean;
  accel: CompareFlags['accel'];
  threshold: number;
  csv?: string;
  quiet?: boolean;
}

export async function reproduceCommand(mbox: string, scenarios: string[], flags: ReproduceFlags): Promise<number> {
  const series = resolve(mbox);
  if (!existsSync(series)) throw new BadInputError(`${mbox}: no such file or directory`, { hint: 'pass the series as an mbox (b4 am -o DIR MSGID) or a directory of patches' });
  if (!scenarios.length) throw new BadInputError('reproduce needs at least one scenario file or directory after the mbox');
  const name = flags.name ?? `${flags.base.replace(/\.ya?ml$/, '').replace(/[^A-Za-z0-9._+-]/g, '_')}-series`;
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(name)) throw new BadInputError(`--name ${name}: letters, digits and . _ + - only`);
  // The patched kernel is the base recipe plus the series, as a recipe of its own.
  const dir = mkdtempSync(join(tmpdir(), 'bpf-harness-reproduce-'));
  try {
    const recipe = join(dir, `${name}.yaml`);
    writeFileSync(recipe, `name: ${name}\nextends: ${flags.base}\npatches: [${JSON.stringify(series)}]\n`);
    return await compareCommand(scenarios, { ...flags, base: flags.base, patched: recipe, jobs: 1 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
