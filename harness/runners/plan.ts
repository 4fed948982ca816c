// A runner scenario made ready for one kernel: the runner built from its tree, and the
// tests the scenario keeps, with the deny lists merged as BPF CI merges them (the tree's
// DENYLIST, then DENYLIST.<arch>, then the scenario's own entries).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { archInfo, type Arch } from '../../common/arch.js';
import type { RunnerSpec } from '../scenario/types.js';
import { buildRunner, readUnbuildable, TREE_PARTS, type BuiltRunner, type RunnerKernel } from './build.js';
import { BadInputError, displayPath, type Problem } from '../../common/errors.js';
import { extracted } from '../../kernels/source/tree-extract.js';
import { testsOfTree } from './test-progs.js';
import { parseConfig } from '../../kernels/build/fragments.js';
import { entryMatches, readDenyList, type DenyEntry, type RunnerSelection } from './select.js';

export interface RunnerPlan {
  spec: RunnerSpec;
  built: BuiltRunner;
  selection: RunnerSelection;
  /** The options the tree's config (and config.<arch>) asks for that the kernel's .config does not have, as "CONFIG_X (wants y, has unset)". */
  configGaps: string[];
}

export async function runnerPlan(spec: RunnerSpec, k: RunnerKernel, scenarioFile: string, arch?: Arch, config?: Map<string, string>): Promise<RunnerPlan> {
  if (spec.name.startsWith('test_progs')) await checkEntries(spec, k, scenarioFile);
  const built = await buildRunner(spec.name, k);
  return { spec, built, selection: runnerSelection(spec, built.selftests, arch), configGaps: config ? configGaps(built.selftests, config, arch) : [] };
}

/** What the tree's config fragments ask for that the kernel lacks ("=m" is met by "=y"). */
export function configGaps(selftests: string, config: Map<string, string>, arch?: Arch): string[] {
  const files = ['config', archInfo(arch).selftestsConfig].filter((f): f is string => !!f).map((f) => join(selftests, f)).filter(existsSync);
  const gaps: string[] = [];
  for (const f of files) {
    for (const [name, want] of parseConfig(readFileSync(f, 'utf8'))) {
      const have = config.get(name);
      const met = have === want || (want === 'm' && have === 'y') || (want === 'n' && have === undefined);
      if (!met) gaps.push(`${name} (wants ${want}, has ${have ?? 'unset'})`);
    }
  }
  return [...new Set(gaps)];
}

/** The scenario's allow entries, and its deny entries after the tree's lists (read from SELFTESTS, the tree's tools/testing/selftests/bpf). */
export function runnerSelection(spec: RunnerSpec, selftests: string, arch?: Arch): RunnerSelection {
  // The tree names its per-arch lists as its configs: config.x86_64 and DENYLIST.x86_64, config.aarch64 and DENYLIST.aarch64.
  const suffix = archInfo(arch).selftestsConfig?.replace(/^config\./, '');
  const files = spec.tree_denylist ? ['DENYLIST', ...(suffix ? [`DENYLIST.${suffix}`] : [])] : [];
  const deny: DenyEntry[] = files.flatMap((f) => {
    const p = join(selftests, f);
    return existsSync(p) ? readDenyList(readFileSync(p, 'utf8'), f) : [];
  });
  deny.push(...Object.entries(spec.deny).map(([pattern, why]) => ({ pattern, reason: `the scenario: ${why}` })));
  return { allow: spec.allow, deny };
}

/**
 * Each allow and deny entry of the scenario names a test of this kernel's test_progs (its
 * test part, a glob): an entry that names none is a typo or a test of another tree, and
 * bad input (exit 2, where it is written), found before anything is built.
 */
async function checkEntries(spec: RunnerSpec, k: RunnerKernel, scenarioFile: string): Promise<void> {
  const src = await extracted(k.tree.dir, k.tree.commit, TREE_PARTS);
  if (!src) return;
  const selftests = join(src, 'tools', 'testing', 'selftests', 'bpf');
  const names = [...testsOfTree(join(selftests, 'prog_tests')), ...readUnbuildable(selftests).map((u) => u.test)];
  const names_ = (entry: string) => names.some((test) => entryMatches(entry.split('/')[0]!, { test }));
  const problems: Problem[] = [];
  const hint = `names are as test_progs -l prints them; bpf-harness list ${displayPath(scenarioFile)} shows ${k.name}'s`;
  spec.allow.forEach((a, i) => {
    if (!names_(a)) problems.push({ file: scenarioFile, ...(spec.at?.allow[i] ?? { line: 0, col: 0 }), message: `runner.allow: "${a}" names no test of ${k.name}'s test_progs`, hint });
  });
  for (const d of Object.keys(spec.deny)) {
    if (!names_(d)) problems.push({ file: scenarioFile, ...(spec.at?.deny[d] ?? { line: 0, col: 0 }), message: `runner.deny: "${d}" names no test of ${k.name}'s test_progs`, hint });
  }
  if (problems.length) throw BadInputError.fromProblems(problems);
}
