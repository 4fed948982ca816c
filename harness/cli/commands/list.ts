// bpf-harness list [PATH...] and bpf-harness validate [PATH...]: the plan and the files,
// read and checked without fetching, building or booting anything.
import { relative } from 'node:path';
import { BadInputError } from '../../../common/errors.js';
import { buildPlan, scenarioFiles } from '../../plan.js';
import { loadScenario } from '../../scenario/load.js';
import { checkKernels, knownRecipes, useRecipesOf } from '../../../kernels/resolve.js';
import { EXIT } from '../exit-codes.js';

export interface ListFlags {
  kernel: string[];
  grep?: string;
  exclude?: string;
  tag: string[];
  json?: boolean;
}

const describeSource = (s: string | { tree: string }) => (typeof s === 'string' ? relative(process.cwd(), s) || s : `{tree: ${s.tree}}`);

/**
 * What `run` with the same paths and flags would run: a line per scenario and kernel.
 * Selftests scenarios also show their sources; their programs are read from the objects
 * compiled against each kernel, so they are known once a run has compiled them
 * (`--grep` then narrows them by FILE/PROG, as run says).
 */
export function listCommand(paths: string[], flags: ListFlags): number {
  const entries = buildPlan(paths.length ? paths : ['scenarios'], {
    kernels: flags.kernel, grep: flags.grep, exclude: flags.exclude, tags: flags.tag, checkKernels: true,
  });
  checkKernels(entries.map((e) => e.kernel));
  if (flags.json) {
    const plan = entries.map((e) => ({
      file: e.relFile, name: e.scenario.name, kernel: e.kernel, tags: e.scenario.tags,
      ...(e.scenario.skip !== undefined ? { skip: e.scenario.skip } : {}),
      ...(e.scenario.selftests.length ? { selftests: e.scenario.selftests.map(describeSource) } : {}),
      ...(e.programGrep ? { programGrep: e.programGrep.source } : {}),
      ...(e.programExclude ? { programExclude: e.programExclude.source } : {}),
    }));
    process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
    return EXIT.ok;
  }
  const w = Math.min(60, Math.max(...entries.map((e) => e.relFile.length)));
  const kw = Math.max(...entries.map((e) => e.kernel.length)) + 2;
  for (const e of entries) {
    const skip = e.scenario.skip !== undefined ? '  (skips: skip: in the file)' : '';
    process.stdout.write(`${e.relFile.padEnd(w)}  ${`[${e.kernel}]`.padEnd(kw)}  ${e.scenario.name}${skip}\n`);
    if (e.scenario.selftests.length) {
      const only = `${e.programGrep ? `, programs matching ${e.programGrep.source}` : ''}${e.programExclude ? `, programs not matching ${e.programExclude.source}` : ''}`;
      process.stdout.write(`${''.padEnd(w)}  ${''.padEnd(kw)}  selftests: ${e.scenario.selftests.map(describeSource).join(', ')}${only}\n`);
    }
  }
  const files = new Set(entries.map((e) => e.relFile)).size;
  const kernels = [...new Set(entries.map((e) => e.kernel))];
  process.stdout.write(`${entries.length} runs: ${files} scenario files on ${kernels.length} kernels (${kernels.join(', ')})\n`);
  return EXIT.ok;
}

/** Every scenario file under the paths, checked as run would check it; every problem at once. Exit 0 or 2. */
export function validateCommand(paths: string[]): number {
  const files = scenarioFiles(paths.length ? paths : ['scenarios']);
  if (!files.length) throw new BadInputError(`no scenario files (*.yaml) under ${paths.join(', ') || 'scenarios'}`);
  useRecipesOf(files);
  const known = knownRecipes();
  const problems: string[] = [];
  for (const f of files) {
    try {
      loadScenario(f, { knownKernels: known });
    } catch (e) {
      if (!(e instanceof BadInputError)) throw e;
      problems.push(e.message);
    }
  }
  if (problems.length) {
    process.stderr.write(`${problems.join('\n')}\n`);
    process.stdout.write(`${files.length} scenario files: ${files.length - problems.length} valid, ${problems.length} with errors\n`);
    return EXIT.badInput;
  }
  process.stdout.write(`${files.length} scenario files: all valid\n`);
  return EXIT.ok;
}
