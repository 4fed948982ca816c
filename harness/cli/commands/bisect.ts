// bpf-harness bisect --base K --series DIR --scenario FILE [--step ID | --program FILE/PROG | --test TEST[/SUBTEST]]
import { resolve } from 'node:path';
import { BadInputError } from '../../../common/errors.js';
import { prepareOutDir, refuseUsedOutDir } from '../out-dir.js';
import { setQuiet } from '../../../common/progress.js';
import { makeReporter } from '../../reporters/reporter.js';
import { bisect, formatBisect } from '../../compare/bisect.js';
import { checkKernels, useRecipesOf } from '../../../kernels/resolve.js';
import { existsSync } from 'node:fs';

export async function bisectCommand(flags: { base: string; series: string; scenario: string; step?: string; program?: string; test?: string; json?: boolean; out?: string; force?: boolean; quiet?: boolean }): Promise<number> {
  const followed = (['step', 'program', 'test'] as const).filter((f) => flags[f] !== undefined);
  if (followed.length > 1) throw new BadInputError(`${followed.map((f) => `--${f}`).join(' and ')} both given: bisect follows one of them`, { hint: 'drop all but one' });
  // A recipe kept beside the scenario is known by name too.
  if (existsSync(flags.scenario)) useRecipesOf([resolve(flags.scenario)]);
  checkKernels([flags.base]);
  refuseUsedOutDir(flags);
  if (flags.quiet) setQuiet(true);
  const out = () => prepareOutDir('bisect', flags);
  const b = await bisect(flags.base, resolve(flags.series), resolve(flags.scenario), { step: flags.step, program: flags.program, test: flags.test }, out, makeReporter('spec', process.stderr));
  process.stdout.write(flags.json ? `${JSON.stringify(b, null, 2)}\n` : formatBisect(b));
  return 0;
}
