// Bench: the selftests corpus on one warm guest, the harness beside a raw loop in the same
// guest and the same run (these machines are noisy: the ratio is what means something).
// Harness: runScenario with the corpus as `selftests:` (every program and mode, logs,
// xlated, test runs, judged). Raw: the tree's veristat over the same objects, each
// program loaded on its own, in one SSH command, its output thrown away.
//   node dist/bench/selftests-corpus.js [--kernel debian-6.12] [--glob GLOB] [--rounds N]
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { setQuiet } from '../common/progress.js';
import { runScenario } from '../harness/runner/scenario.js';
import { compileSelftest, selftestFiles, selftestTree, SELFTESTS_DIR } from '../harness/selftests/compile.js';
import type { SelftestPlan } from '../harness/selftests/run.js';
import { readRunnerOptions } from '../harness/selftests/runner-options.js';
import { loadScenario } from '../harness/scenario/load.js';
import { loadCrashPolicy } from '../vm/crash/policy.js';
import { kernelArtifacts } from '../kernels/resolve.js';
import { guestImage, SELFTEST_LOADER } from '../vm/qemu/image/build.js';
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
  // The objects go to the guest once, for the raw loop, in one folder per guest CPU: the harness
  // runs a loader per guest CPU, so the raw loop is also timed split the same way.
  const cpus = Number((await guest.exec('nproc')).stdout.trim()) || 1;
  const staging = join(work, 'raw');
  compiled.forEach((c, i) => {
    if (!('object' in c)) return;
    mkdirSync(join(staging, `g${i % cpus}`), { recursive: true });
    symlinkSync(c.object, join(staging, `g${i % cpus}`, `${basename(c.file.name, '.c')}.bpf.o`));
  });
  const tar = await execa('tar', ['-ch', '-C', staging, '.'], { encoding: 'buffer' });
  await guest.exec('mkdir -p /tmp/raw && tar -x -C /tmp/raw', { input: Buffer.from(tar.stdout), timeoutMs: 120000 });
  // Globs, not paths: a command line of 150 paths is more than dropbear takes.
  const paths = '/tmp/raw/g*/*.bpf.o';
  const rawCmd = `veristat ${paths} > /dev/null 2>&1; echo $?`;
  const rawParallelCmd = `for g in /tmp/raw/g*; do veristat $g/*.bpf.o > /dev/null 2>&1 & done; wait; echo 0`;
  const listed = await guest.exec(`veristat -o csv ${paths} 2>/dev/null | tail -n +2 | wc -l`, { timeoutMs: 1_800_000 });
  const programs = Number(listed.stdout.trim());

  const harness: number[] = [];
  const raw: number[] = [];
  const rawParallel: number[] = [];
  let runs = 0;
  let outcomes = '';
  for (let i = 0; i < rounds; i++) {
    const order = [['raw', 'harness', 'raw-parallel'], ['harness', 'raw-parallel', 'raw'], ['raw-parallel', 'raw', 'harness']][i % 3]!;
    for (const what of order) {
      const t0 = Date.now();
      if (what === 'harness') {
        const { result } = await runScenario({
          target: guest, scenario, kernel: art.name, objects: new Map(), selftests: plan, slug: `bench-${i}`,
          artifactDir: join(work, `round-${i}`), artifactRel: `round-${i}`, update: false, crashPolicy: loadCrashPolicy(),
        }, 'corpus.yaml');
        harness.push(Date.now() - t0);
        runs = result.programs?.filter((p) => p.outcome !== 'skip').length ?? 0;
        const count = (o: string) => result.programs?.filter((p) => p.outcome === o).length ?? 0;
        outcomes = `${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped`;
      } else if (what === 'raw-parallel') {
        await guest.exec(rawParallelCmd, { timeoutMs: 1_800_000 });
        rawParallel.push(Date.now() - t0);
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
  const rp = median(rawParallel);
  process.stdout.write(
    `kernel ${art.name} (${art.release}), accel ${accel}, ${objects.length} objects (${values.glob}), ${rounds} rounds, medians\n` +
      `harness: ${(h / 1000).toFixed(1)} s for ${runs} program x mode runs (${(runs / (h / 1000)).toFixed(1)}/s), judged: ${outcomes}\n` +
      `raw veristat: ${(r / 1000).toFixed(1)} s for ${programs} programs (${(programs / (r / 1000)).toFixed(1)}/s)\n` +
      `raw veristat, ${cpus} at once (objects split by ${cpus}, as the harness runs a loader per guest CPU): ${(rp / 1000).toFixed(1)} s (${(programs / (rp / 1000)).toFixed(1)}/s)\n` +
      `ratio harness/raw: ${(h / r).toFixed(2)}x   (target: <= 1.2x; whole corpus <= 2 min)\n` +
      `ratio harness/raw ${cpus} at once: ${(h / rp).toFixed(2)}x\n`,
  );
} finally {
  await guest.close();
}
