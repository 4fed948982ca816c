// The runner against fake targets (vm/fake/backend.ts): how scenarios are shared
// among workers, when a target is replaced, boot retries and boot failures, the pool's
// capacity. Milliseconds a case, no QEMU.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPlan } from '../harness/plan.js';
import type { Reporter } from '../harness/reporters/reporter.js';
import type { RunResult } from '../harness/results/model.js';
import { runPlan } from '../harness/runner/run.js';
import { fakeTargets, type FakeScript } from '../vm/fake/backend.js';

const root = mkdtempSync(join(tmpdir(), 'runner-test-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
let suites = 0;

/** A folder of scenarios of one run step each (`run: CMD`), with extra top-level YAML where given. */
function suite(scenarios: { cmd: string; extra?: string }[]): string {
  const dir = join(root, `suite-${++suites}`);
  mkdirSync(dir);
  scenarios.forEach((s, i) => {
    writeFileSync(join(dir, `${String(i + 1).padStart(2, '0')}.yaml`), `name: s${i + 1}\n${s.extra ?? ''}steps:\n  - run: ${JSON.stringify(s.cmd)}\n    expect:\n      exit: 0\n`);
  });
  return dir;
}

const quiet: Reporter = { scenarioFinished: () => {}, runFinished: () => '' };

async function run(dir: string, script: FakeScript, jobs = 1, freshGuests = false) {
  const { log, target } = fakeTargets(script);
  const entries = buildPlan([dir], { kernels: ['fake-kernel'], kernelsAreRecipes: false });
  const result = await runPlan(entries, { outDir: join(dir, 'out'), target, jobs, update: false, reporter: quiet, freshGuests });
  return { result, log };
}

const outcomes = (r: RunResult) => r.scenarios.map((s) => `${s.name}:${s.outcome}`).sort();
const ran = (cmd: string) => (c: { cmd: string }) => c.cmd.includes(cmd);

t.test('one worker runs every scenario on one target, in plan order', async (t) => {
  const dir = suite([{ cmd: 'echo a' }, { cmd: 'echo b' }, { cmd: 'echo c' }]);
  const { result, log } = await run(dir, {});
  t.same(outcomes(result), ['s1:pass', 's2:pass', 's3:pass']);
  t.equal(log.boots.length, 1, 'one boot');
  t.same(log.commands.map((c) => c.cmd.match(/echo [abc]/)?.[0]), ['echo a', 'echo b', 'echo c']);
  t.equal(log.closed, 1, 'the target is closed at the end');
});

t.test('--jobs 2 shares the queue between two targets; the pool capacity caps them', async (t) => {
  const cmds = ['a', 'b', 'c', 'd', 'e', 'f'].map((x) => ({ cmd: `echo ${x}` }));
  const two = await run(suite(cmds), {}, 2);
  t.same(outcomes(two.result), ['s1:pass', 's2:pass', 's3:pass', 's4:pass', 's5:pass', 's6:pass']);
  t.equal(two.log.maxLive, 2, 'two targets at once');
  t.same(new Set(two.log.commands.map((c) => c.target)), new Set([1, 2]), 'both ran scenarios');
  const host = await run(suite(cmds), { capacity: 1 }, 3);
  t.equal(host.log.maxLive, 1, 'a pool of one (an SSH host) never hands out two');
  t.equal(host.log.boots.length, 1);
});

t.test('--kernel-jobs N runs N kernels at once, each on its own pool; results keep the plan order', async (t) => {
  const dir = suite(['a', 'b', 'c'].map((x) => ({ cmd: `echo ${x}` })));
  const entries = buildPlan([dir], { kernels: ['k1', 'k2', 'k3'], kernelsAreRecipes: false });
  const planned = entries.map((e) => `${e.kernel.name} ${e.scenario.name}`);
  for (const kernelJobs of [1, 2]) {
    const { log, target } = fakeTargets({});
    const result = await runPlan(entries, { outDir: join(dir, `out-${kernelJobs}`), target, jobs: 1, kernelJobs, update: false, reporter: quiet });
    t.equal(log.maxPools, kernelJobs, `--kernel-jobs ${kernelJobs}: ${kernelJobs} kernel(s) at once`);
    t.equal(log.boots.length, 3, 'a target for each kernel');
    t.same(result.scenarios.map((s) => `${s.kernel} ${s.name}`), planned, 'in the plan\'s order');
    t.ok(result.scenarios.every((s) => s.outcome === 'pass'));
  }
});

t.test('fresh: true and network: true get a target of their own; the next scenario a new one', async (t) => {
  const dir = suite([{ cmd: 'echo a' }, { cmd: 'echo fresh', extra: 'fresh: true\n' }, { cmd: 'echo net', extra: 'network: true\n' }, { cmd: 'echo d' }]);
  const { result, log } = await run(dir, {});
  t.same(outcomes(result), ['s1:pass', 's2:pass', 's3:pass', 's4:pass']);
  const on = (cmd: string) => log.commands.find(ran(cmd))!.target;
  t.same([on('echo a'), on('echo fresh'), on('echo net'), on('echo d')], [1, 2, 3, 4], 'a target each: the fresh and network ones are retired after');
  t.same(result.scenarios.map((s) => s.network ?? false), [false, false, true, false], 'results say which had a network');
});

t.test('--fresh: the target for the next scenario comes up while one runs; every target is closed', async (t) => {
  const cmds = ['a', 'b', 'c', 'd'].map((x) => ({ cmd: `echo ${x}` }));
  const one = await run(suite(cmds), {}, 1, true);
  t.same(outcomes(one.result), ['s1:pass', 's2:pass', 's3:pass', 's4:pass']);
  t.same(one.log.commands.map((c) => c.target), [1, 2, 3, 4], 'a target per scenario, in order');
  // How long a fake boot and a scenario take decides which ends first: the order they began in does not.
  const began = (what: RegExp) => one.log.order.findIndex((e) => what.test(e));
  const next = began(/^acquire 1\/2$/);
  t.ok(next >= 0 && next < began(/^run 1: .*echo a/), "the next target's boot began before the first scenario's command ran");
  t.equal(one.log.boots.length, 4, 'none booted for nothing after the last scenario');
  t.equal(one.log.closed, 4, 'all closed');
  const two = await run(suite([...cmds, { cmd: 'echo net', extra: 'network: true\n' }, { cmd: 'echo f' }]), {}, 2, true);
  t.equal(two.result.scenarios.filter((s) => s.outcome === 'pass').length, 6);
  t.equal(two.log.closed, two.log.boots.length, 'with two workers too, every target acquired is closed, used or not');
  t.ok(two.log.commands.filter(ran('echo net')).every((c) => two.log.boots.find((b) => b.target === c.target)?.network), 'the network scenario ran on a target with a network');
  const host = await run(suite(cmds), { capacity: 1 }, 1, true);
  t.equal(host.log.maxLive, 1, 'a pool of one never boots ahead');
});

t.test('a crash in the kernel log fails that scenario and replaces its target', async (t) => {
  const dir = suite([{ cmd: 'echo boom' }, { cmd: 'echo after' }]);
  const { result, log } = await run(dir, {
    answer: (cmd) => (cmd.includes('echo boom') ? { kernel: ['BUG: kernel NULL pointer dereference, address: 0000000000000000'] } : {}),
  });
  const [boom, after] = result.scenarios;
  t.equal(boom?.outcome, 'fail');
  t.equal(boom?.crash?.title, 'BUG: kernel NULL pointer dereference');
  t.equal(after?.outcome, 'pass');
  // It ran again twice (--retries' default), each time on a new target, the crash each time.
  t.same(log.commands.filter(ran('echo boom')).map((c) => c.target), [1, 2, 3], 'each try on a new target');
  t.same(boom?.tries?.failed.map((f) => f.try), [1, 2, 3], 'failed on all 3 tries');
  t.equal(log.commands.find(ran('echo after'))!.target, 4, 'the next scenario ran on a new target');
});

t.test('a crash that does not repeat: the scenario passes on its next try and is flaky (1 of 2)', async (t) => {
  let crashes = 0;
  const { result, log } = await run(suite([{ cmd: 'echo once' }]), {
    answer: (cmd) => (cmd.includes('echo once') && crashes++ === 0 ? { kernel: ['BUG: kernel NULL pointer dereference, address: 0000000000000000'] } : {}),
  });
  const [once] = result.scenarios;
  t.equal(once?.outcome, 'pass');
  t.same(once?.tries, { runs: 2, failed: [{ try: 1, reason: 'kernel crash: BUG: kernel NULL pointer dereference', artifactDir: once!.tries!.failed[0]!.artifactDir }] });
  t.notMatch(once?.tries?.failed[0]?.artifactDir, /-try-/, "the first try's artifacts are where a scenario's always are");
  t.same(log.commands.filter(ran('echo once')).map((c) => c.target), [1, 2], 'the second try on a new target');
});

t.test('a boot that fails once is retried; one that fails twice fails every scenario as "boot failed"', async (t) => {
  const once = await run(suite([{ cmd: 'echo a' }, { cmd: 'echo b' }]), { failBoots: 1 });
  t.same(outcomes(once.result), ['s1:pass', 's2:pass'], 'the second boot serves them');
  t.same(once.log.boots.map((b) => [b.attempt, b.ok]), [[1, false], [2, true]]);
  const always = await run(suite([{ cmd: 'echo a' }, { cmd: 'echo b' }]), { failBoots: Infinity });
  t.same(outcomes(always.result), ['s1:fail', 's2:fail']);
  t.same(always.result.scenarios.map((s) => s.reason), ['boot failed: kernel panic: fake panic', 'boot failed: kernel panic: fake panic']);
  t.same(always.result.scenarios.map((s) => s.bootFailed), ['kernel panic: fake panic', 'kernel panic: fake panic']);
  t.equal(always.log.boots.length, 2, 'two boots, then it gives up');
  t.equal(always.log.commands.length, 0);
  const twice = await run(suite([{ cmd: 'echo a' }]), { failBoots: Infinity, bootTries: 2 });
  t.same(outcomes(twice.result), ['s1:fail']);
  t.equal(twice.log.boots.length, 1, 'a backend that booted twice itself is not asked again');
});

t.test("with two workers, one whose boots fail leaves the queue to the other's target", async (t) => {
  const { result, log } = await run(suite(['a', 'b', 'c', 'd'].map((x) => ({ cmd: `echo ${x}` }))), { failBoots: 2 }, 2);
  t.same(outcomes(result), ['s1:pass', 's2:pass', 's3:pass', 's4:pass'], 'nothing failed for a boot another worker made good');
  t.ok(log.boots.some((b) => b.ok), 'a target came up');
});

t.test('two workers whose boots all fail both give up: every scenario fails once, nothing hangs', async (t) => {
  const { result, log } = await run(suite(['a', 'b', 'c'].map((x) => ({ cmd: `echo ${x}` }))), { failBoots: Infinity }, 2);
  t.same(outcomes(result), ['s1:fail', 's2:fail', 's3:fail']);
  t.equal(result.scenarios.length, 3, 'each scenario has one result');
  t.equal(log.boots.length, 4, 'two boots per worker');
});

