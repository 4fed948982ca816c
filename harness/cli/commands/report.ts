// bpf-harness report merge RESULTS...
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { BadInputError, type Problem } from '../../../common/errors.js';
import { ReporterSet, type ReporterSpec } from '../../reporters/outputs.js';
import { writeStepSummary } from '../../reporters/markdown.js';
import { htmlReport } from '../../reporters/html.js';
import { EXIT } from '../exit-codes.js';
import { mergeRuns, type MergeInput } from '../../results/merge.js';
import { readRunResult } from '../../results/read.js';
import { ensureOutDirWritable } from '../../../common/writable-dir.js';
import { exitCodeOf } from '../exit-codes.js';
import { refuseUsedOutDir } from '../out-dir.js';

export interface ReportMergeFlags {
  reporter?: ReporterSpec[];
  out?: string;
  force?: boolean;
}

/** The results.json files, read; every unreadable one reported at once. */
function readInputs(files: string[], outFile?: string): MergeInput[] {
  const problems: Problem[] = [];
  const inputs: MergeInput[] = [];
  for (const f of files) {
    const file = path.resolve(f);
    if (file === outFile) {
      problems.push({ file, line: 0, col: 0, message: 'is also the --out file, and would be overwritten', hint: 'give --out another directory' });
      continue;
    }
    try {
      inputs.push({ file, run: readRunResult(file) });
    } catch (e) {
      if (!(e instanceof BadInputError)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length) throw BadInputError.fromProblems(problems);
  return inputs;
}

/** report html RESULTS.json...: the HTML report of saved runs (shards merged), to a file or stdout. */
export function reportHtmlCommand(files: string[], flags: { output?: string }): number {
  const merged = mergeRuns(readInputs(files), {});
  const page = htmlReport(merged, { title: `bpf-harness report (${files.length} results file${files.length > 1 ? 's' : ''})` });
  if (flags.output) writeFileSync(flags.output, page);
  else process.stdout.write(page);
  return EXIT.ok;
}

/** Print the merged report; with --out, also write DIR/results.json. Exit code as run's. */
export async function reportMergeCommand(files: string[], flags: ReportMergeFlags): Promise<number> {
  const outDir = flags.out ? path.resolve(flags.out) : undefined;
  const outFile = outDir && path.join(outDir, 'results.json');
  const inputs = readInputs(files, outFile);
  refuseUsedOutDir(flags);
  const reporters = flags.reporter ?? [{ name: 'spec' as const }];
  ReporterSet.check(reporters);

  const merged = mergeRuns(inputs, { outDir });
  if (outDir && outFile) {
    ensureOutDirWritable(outDir);
    writeFileSync(outFile, JSON.stringify(merged, null, 2));
  }
  const reporter = ReporterSet.open(reporters, process.stdout);
  for (const s of merged.scenarios) reporter.scenarioFinished(s);
  process.stdout.write(reporter.runFinished(merged));
  await reporter.closed();
  writeStepSummary(merged, 'bpf-harness report merge');
  return exitCodeOf(merged);
}
