// A runner scenario made ready for one kernel: the runner built from its tree, and the
// tests the scenario keeps, with the deny lists merged as BPF CI merges them (the tree's
// DENYLIST, then DENYLIST.<arch>, then the scenario's own entries).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { archInfo, type Arch } from '../../common/arch.js';
import type { RunnerSpec } from '../scenario/types.js';
import { buildRunner, type BuiltRunner, type RunnerKernel } from './build.js';
import { readDenyList, type DenyEntry, type RunnerSelection } from './select.js';

export interface RunnerPlan {
  spec: RunnerSpec;
  built: BuiltRunner;
  selection: RunnerSelection;
}

export async function runnerPlan(spec: RunnerSpec, k: RunnerKernel, arch?: Arch): Promise<RunnerPlan> {
  const built = await buildRunner(spec.name, k);
  return { spec, built, selection: runnerSelection(spec, built.selftests, arch) };
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
