// Bench: the selftests corpus on one warm guest, the harness beside a raw loop in the same
// guest and the same run (these machines are noisy: the ratio is what means something).
// Harness: runScenario with the corpus as `selftests:` (every program and mode, logs,
// xlated, test runs, judged). Raw: the tree's veristat over the same objects, each
// program loaded on its own, in one SSH command, its output thrown away.
//   node dist/bench/selftests-corpus.js [--kernel debian-6.12] [--glob GLOB] [--rounds N]
import { execa } from 'execa';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setQuiet } from '../harness/progress.js';
import { runScenario } from '../harness/runner/scenario.js';
import { compileSelftest, selftestFiles, selftestTree, SELFTESTS_DIR } from '../harness/selftests/compile.js';
import type { SelftestPlan } from '../harness/selftests/run.js';
import { readRunnerOptions } from '../harness/selftests/runner-options.js';
import { loadScenario } from '../harness/scenario/load.js';
import { loadCrashPolicy } from '../vm/crash/policy.js';
import { kernelArtifacts } from '../kernels/resolve.js';
import { guestImage, SELFTEST_LOADER } from '../vm/image/build.js';
import { chooseAccel } from '../vm/qemu/accel.js';
import { QemuTarget } from '../vm/qemu/target.js';

const { values } = parseArgs({
  options: {
    kernel: { type: 'string', default: 'debian-6.12' },
    glob: { type: 'string', default: `${SELFTESTS_DIR}/progs/verifier_*.c` },
    rounds: { type: 'string', default: '3' },
  },
});
const rounds = Number(values.rounds);
setQuiet(true);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const work = mkdtempSync(join(tmpdir(), 'bpf-harness-bench-corpus-'));
const scenarioFile = join(work, 'corpus.yaml');
writeFileSync(scenarioFile, `name: corpus bench\nkernels: [${values.kernel}]\nselftests:\n  - {tree: ${JSON.stringify(values.glob)}}\n`);
const scenario = loadScenario(scenarioFile);

const art = await kernelArtifacts(values.kernel!);
const tree = await selftestTree(art);
if (!tree) throw new Error(`${art.name} has no source tree`);
const files = await selftestFiles(scenario.selftests, tree);
if (typeof files === 'string') throw new Error(files);
process.stderr.write(`compiling ${files.length} files\n`);
const compiled = await Promise.all(files.map((f) => compileSelftest(f, art, tree)));
const objects = compiled.flatMap((c) => ('object' in c ? [c.object] : []));
const plan: SelftestPlan = {
  files: compiled, rules: tree.rules, loader: { path: SELFTEST_LOADER },
  runnerOptions: readRunnerOptions(join(tree.root, SELFTESTS_DIR)), btfFile: async () => ({ error: 'not in the bench' }),
};
const image = await guestImage(art);
const accel = await chooseAccel('auto', art.bzImage);
const guest = await QemuTarget.boot(art, image, { accel, logDir: join(work, 'guest') });

try {
  // The objects go to the guest once, for the raw loop.
  const tar = await execa('tar', ['-c', '-C', '/', ...objects.map((o) => o.slice(1))], { encoding: 'buffer' });
  await guest.exec('mkdir -p /tmp/raw && tar -x -C /tmp/raw', { input: Buffer.from(tar.stdout), timeoutMs: 120000 });
  const paths = objects.map((o) => `/tmp/raw${o}`).join(' ');
  const rawCmd = `veristat ${paths} > /dev/null 2>&1; echo $?`;
  const listed = await guest.exec(`veristat -o csv ${paths} 2>/dev/null | tail -n +2 | wc -l`, { timeoutMs: 1_800_000 });
  const programs = Number(listed.stdout.trim());

  const harness: number[] = [];
  const raw: number[] = [];
  let runs = 0;
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 ? ['harness', 'raw'] : ['raw', 'harness'];
    for (const what of order) {
      const t0 = Date.now();
      if (what === 'harness') {
        const { result } = await runScenario({
          target: guest, scenario, kernel: art.name, objects: new Map(), selftests: plan, slug: `bench-${i}`,
          artifactDir: join(work, `round-${i}`), artifactRel: `round-${i}`, update: false, crashPolicy: loadCrashPolicy(),
        }, 'corpus.yaml');
        harness.push(Date.now() - t0);
        runs = result.programs?.filter((p) => p.outcome !== 'skip').length ?? 0;
      } else {
        const r = await guest.exec(rawCmd, { timeoutMs: 1_800_000 });
        raw.push(Date.now() - t0);
        if (r.stdout.trim() !== '0') process.stderr.write(`veristat exited ${r.stdout.trim()} (some programs fail to load, as expected of the corpus)\n`);
      }
    }
    process.stderr.write(`round ${i + 1}/${rounds} done\n`);
  }
  const h = median(harness);
  const r = median(raw);
  process.stdout.write(
    `kernel ${art.name} (${art.release}), accel ${accel}, ${objects.length} objects (${values.glob}), ${rounds} rounds, medians\n` +
      `harness: ${(h / 1000).toFixed(1)} s for ${runs} program x mode runs (${(runs / (h / 1000)).toFixed(1)}/s), judged\n` +
      `raw veristat: ${(r / 1000).toFixed(1)} s for ${programs} programs (${(programs / (r / 1000)).toFixed(1)}/s)\n` +
      `ratio harness/raw: ${(h / r).toFixed(2)}x   (target: <= 1.2x; whole corpus <= 2 min)\n`,
  );
} finally {
  await guest.close();
}
