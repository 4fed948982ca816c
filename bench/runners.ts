// Bench: one of the tree's runners through the harness beside the same runner started by
// hand in the same warm guest and the same run (these machines are noisy: the ratio is
// what means something). Harness: runRunner, as a runner: scenario runs it (the payload
// sent, the modules linked, the verdicts streamed and read, denied tests left out). By
// hand: the runner already in the guest, started over one SSH command with the same
// tests (-a), its output thrown away.
//   node dist/bench/runners.js [--kernel selftests-6.12] [--runner test_progs] [--allow a,b,...] [--rounds N]
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setQuiet } from '../common/progress.js';
import { loadScenario } from '../harness/scenario/load.js';
import { runnerPlan } from '../harness/runners/plan.js';
import { pushRunner, runRunner } from '../harness/runners/run.js';
import { chooseTests } from '../harness/runners/test-progs-run.js';
import { readTestList } from '../harness/runners/test-progs.js';
import { shellQuote } from '../vm/transport/ssh.js';
import { loadCrashPolicy } from '../vm/crash/policy.js';
import { kernelArtifacts } from '../kernels/resolve.js';
import { guestImage } from '../vm/qemu/image/build.js';
import { chooseAccel } from '../vm/qemu/accel.js';
import { QemuTarget } from '../vm/qemu/target.js';

/** The main job's slice (scenarios/runners/test_progs-quick.yaml). */
const QUICK = 'align,arg_parsing,atomics,autoload,bloom_filter_map,bpf_loop,btf_dump,bpf_iter_setsockopt';

const { values } = parseArgs({
  options: {
    kernel: { type: 'string', default: 'selftests-6.12' },
    runner: { type: 'string', default: 'test_progs' },
    allow: { type: 'string', default: QUICK },
    rounds: { type: 'string', default: '3' },
  },
});
const rounds = Number(values.rounds);
setQuiet(true);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const work = mkdtempSync(join(tmpdir(), 'bpf-harness-bench-runners-'));
const scenarioFile = join(work, 'runner.yaml');
const allow = values.allow ? values.allow.split(',') : [];
writeFileSync(scenarioFile, `name: runner bench\nkernels: [${values.kernel}]\nmemory: 1G\nrunner:\n  name: ${values.runner}\n  allow: ${JSON.stringify(allow)}\n`);
const spec = loadScenario(scenarioFile).runner!;
const art = await kernelArtifacts(values.kernel!);
if (!art.tree || !art.vmlinux) throw new Error(`${art.name} has no tree and vmlinux to build the runner from`);
process.stderr.write(`building ${spec.name} (cached after the first time)\n`);
const plan = await runnerPlan(spec, { name: art.name, tree: art.tree, btf: art.vmlinux }, scenarioFile, art.arch);
const image = await guestImage(art);
const accel = await chooseAccel('auto', art.bzImage);
const guest = await QemuTarget.boot(art, image, { accel, logDir: join(work, 'guest'), memoryMiB: 1024 });

try {
  // By hand: the runner sent once, into a folder of its own, and started with the tests the harness hands it.
  await pushRunner(guest, plan.built, '/tmp/byhand');
  const args = plan.built.testList
    ? (() => { const c = chooseTests(readTestList(plan.built.testList), plan.selection, spec.name); return c.args(c.numbers); })()
    : [];
  const byHandCmd = `cd /tmp/byhand/run && ./${plan.built.target} ${args.map(shellQuote).join(' ')} > /dev/null 2>&1; echo $?`;
  const harness: number[] = [];
  const byHand: number[] = [];
  let outcomes = '';
  for (let i = 0; i < rounds; i++) {
    for (const what of i % 2 ? ['by hand', 'harness'] : ['harness', 'by hand']) {
      const t0 = Date.now();
      if (what === 'harness') {
        const run = await runRunner({ target: guest, workDir: `/tmp/bench-${i}`, crashPolicy: loadCrashPolicy() }, plan.built, plan.selection, spec.test_timeout);
        harness.push(Date.now() - t0);
        const count = (o: string) => run.tests.filter((t) => t.outcome === o).length;
        outcomes = `${run.tests.length} tests and subtests: ${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped`;
        await guest.exec(`rm -rf /tmp/bench-${i}`);
      } else {
        await guest.exec(byHandCmd, { timeoutMs: 6 * 3600_000 });
        byHand.push(Date.now() - t0);
      }
    }
    process.stderr.write(`round ${i + 1}/${rounds} done\n`);
  }
  const h = median(harness);
  const b = median(byHand);
  process.stdout.write(
    `kernel ${art.name} (${art.release}), accel ${accel}, ${spec.name}, ${allow.length ? `allow ${allow.join(',')}` : 'every test'}, ${rounds} rounds, medians\n` +
      `harness (sending the runner and its objects included): ${(h / 1000).toFixed(1)} s; ${outcomes}\n` +
      `by hand (the runner already in the guest): ${(b / 1000).toFixed(1)} s\n` +
      `ratio harness/by hand: ${(h / b).toFixed(2)}x   (target: <= 1.1x)\n`,
  );
} finally {
  await guest.close();
}
